/**
 * A misbehaving candidate for bench/faults.ts, in its own process so its CPU is not the harness's:
 * `hang` accepts and never answers, `reset` resets on the first bytes, `garbage` answers non-HTTP
 * bytes, `drip` sends headers then 1 byte every 2 s, `big` answers 200 MiB at full speed.
 *
 * usage: node dist/bench/fault-backend.js <hang|reset|garbage|drip|big>
 * Prints {"port": N} on stdout when listening; exits when stdin closes.
 */
import { createServer, type AddressInfo, type Socket } from "node:net";

const BIG = 200 * 1024 * 1024;
const BLOCK = Buffer.alloc(64 * 1024, 97);

function big(socket: Socket): void {
  socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: ${BIG}\r\n\r\n`);
  let sent = 0;
  const pump = (): void => {
    while (sent < BIG && !socket.destroyed) {
      sent += BLOCK.length;
      if (!socket.write(BLOCK)) return void socket.once("drain", pump);
    }
  };
  pump();
}

function drip(socket: Socket): void {
  socket.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n");
  const t = setInterval(() => (socket.destroyed ? clearInterval(t) : socket.write("x")), 2000);
  socket.on("close", () => clearInterval(t));
}

function main(): void {
  const mode = process.argv[2] ?? "hang";
  const server = createServer((socket) => {
    socket.on("error", () => undefined);
    if (mode === "hang") return void socket.resume();
    socket.once("data", () => {
      if (mode === "reset") socket.resetAndDestroy();
      else if (mode === "garbage") socket.end("\x00\x01\x02SSH-2.0-not-http\r\n\r\n");
      else if (mode === "drip") drip(socket);
      else big(socket);
    });
  });
  server.listen(0, "127.0.0.1", () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  });
  process.stdin.on("close", () => process.exit(0));
  process.stdin.resume();
}

if (process.argv[1]?.endsWith("fault-backend.js")) main();
