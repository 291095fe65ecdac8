// Regenerates schema/cutover.schema.json from the zod schema (run after `npm run build`).
import { mkdirSync, writeFileSync } from "node:fs";
import { configJsonSchema } from "../dist/src/config/json-schema.js";

mkdirSync("schema", { recursive: true });
writeFileSync("schema/cutover.schema.json", JSON.stringify(configJsonSchema(), null, 2) + "\n");
console.log("wrote schema/cutover.schema.json");
