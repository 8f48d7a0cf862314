import { defineConfig } from "vite";

// The dashboard is served by `equitas serve` from the binary (rust-embed of
// web/dist); `npm run dev` proxies the API to a running `equitas serve`.
export default defineConfig({
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2020",
    chunkSizeWarningLimit: 900,
    reportCompressedSize: false,
  },
  server: {
    proxy: {
      "/api": process.env.EQUITAS_API ?? "http://127.0.0.1:8080",
      "/docs": process.env.EQUITAS_API ?? "http://127.0.0.1:8080",
      "/openapi.json": process.env.EQUITAS_API ?? "http://127.0.0.1:8080",
    },
  },
});
