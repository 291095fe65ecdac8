// Builds the dashboard into dist/dashboard (index.html + assets/*), which src/admin/static.ts
// serves from the admin listener. Everything is bundled: no CDN, no external fonts, works offline.
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

const here = (p: string): string => decodeURIComponent(new URL(p, import.meta.url).pathname);

export default defineConfig({
  root: here("."),
  base: "/",
  plugins: [preact({ devToolsEnabled: false, prefreshEnabled: false })],
  build: {
    outDir: here("../dist/dashboard"),
    emptyOutDir: true,
    assetsDir: "assets",
    target: "es2022",
    sourcemap: false,
    // The admin listener's CSP is default-src 'self': nothing inline but styles.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
