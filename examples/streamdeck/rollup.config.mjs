// `npm run build`: bundles the plugin and its property inspector into the .sdPlugin folder,
// as the rollup.config.mjs of Elgato's `streamdeck create` does (without TypeScript or
// minification: the sources are plain JavaScript, and a readable bundle reads better in the
// plugin's logs).
//
//   src/plugin.js             -> com.wardcast.buyback.sdPlugin/bin/plugin.js (the manifest's CodePath)
//   src/property-inspector.js -> com.wardcast.buyback.sdPlugin/bin/property-inspector.js (ui/buyback.html)
//
// Everything the plugin needs is inside bin/: @elgato/streamdeck, ws, and web/wardcast.js.
import commonjs from "@rollup/plugin-commonjs";
import nodeResolve from "@rollup/plugin-node-resolve";

const sdPlugin = "com.wardcast.buyback.sdPlugin";

/** @type {import('rollup').RollupOptions[]} */
export default [
  {
    input: "src/plugin.js",
    output: { file: `${sdPlugin}/bin/plugin.js`, format: "es" },
    plugins: [
      {
        name: "watch-externals",
        buildStart() {
          this.addWatchFile(`${sdPlugin}/manifest.json`);
        },
      },
      nodeResolve({ browser: false, exportConditions: ["node"], preferBuiltins: true }),
      commonjs(),
      {
        name: "emit-module-package-file",
        generateBundle() {
          this.emitFile({ fileName: "package.json", source: `{ "type": "module" }`, type: "asset" });
        },
      },
    ],
  },
  {
    input: "src/property-inspector.js",
    output: { file: `${sdPlugin}/bin/property-inspector.js`, format: "iife" },
    plugins: [nodeResolve({ browser: true })],
  },
];
