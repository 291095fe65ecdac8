import { pino, type Logger } from "pino";

/** createLogger writes JSON lines to stderr (stdout is for command output). CUTOVER_LOG_LEVEL overrides. */
export function createLogger(level: string): Logger {
  return pino({ level: process.env.CUTOVER_LOG_LEVEL ?? level, base: { svc: "cutover" } }, pino.destination(2));
}
