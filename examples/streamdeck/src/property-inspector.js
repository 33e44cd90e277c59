/*!
 * The property inspector of the buyback key (ui/buyback.html): edits the plugin's global
 * settings {wardcastUrl, token}, shared by every key of the plugin. It uses the browser half
 * of @elgato/streamdeck, which answers Stream Deck's connectElgatoStreamDeckSocket() call;
 * the plugin gets didReceiveGlobalSettings on each save.
 *
 * `npm run build` bundles it into com.wardcast.buyback.sdPlugin/bin/property-inspector.js.
 */
import streamDeck from "@elgato/streamdeck";

const FIELDS = ["wardcastUrl", "token"];
const input = (name) => document.getElementById(name);

function show(settings) {
  for (const name of FIELDS) input(name).value = typeof settings[name] === "string" ? settings[name] : "";
}

function save() {
  const settings = {};
  for (const name of FIELDS) settings[name] = input(name).value.trim();
  streamDeck.settings.setGlobalSettings(settings);
}

for (const name of FIELDS) input(name).addEventListener("change", save);
streamDeck.settings.onDidReceiveGlobalSettings((ev) => show(ev.settings || {}));
streamDeck.settings.getGlobalSettings(); // sent once Stream Deck has connected the page
