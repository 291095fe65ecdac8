import { z } from "zod";
import { configSchema } from "./schema.js";

/** configJsonSchema is the JSON Schema of cutover.yaml as users write it (input side: durations as strings). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return { $id: "https://cutover.dev/schema/cutover.schema.json", title: "cutover configuration", ...schema };
}
