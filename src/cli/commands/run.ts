import { loadConfig } from "../../config/load.js";
import { Gateway } from "../../gateway/gateway.js";

/** run starts the gateway and resolves when a signal has drained it. */
export async function run(
  opts: { config: string; json: boolean },
  print: (data: unknown, text: string) => void,
): Promise<void> {
  const config = loadConfig(opts.config);
  const gw = new Gateway(config);
  const urls = await gw.start();
  print(
    { listening: urls.url, admin: urls.adminUrl, routes: gw.runtime.table.routes.length },
    `cutover listening on ${urls.url} (admin ${urls.adminUrl})`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      void gw.stop().then(resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
