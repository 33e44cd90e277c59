/*!
 * overlay.js: the page glue of the Wardcast OBS overlay (index.html).
 *
 * 1. Reads ?broker=http://host:port (default http://127.0.0.1:7314) and ?token= from the
 *    page URL. The page may be an OBS "Local file", so the broker's address cannot come
 *    from the page's own origin.
 * 2. Injects <script src="BROKER/wardcast.js">: the client the broker serves. If that fails
 *    (the broker is not running yet), it retries every 3 s.
 * 3. Subscribes to OverlayState.FEATURES and renders OverlayState.view() into every element
 *    with a data-field attribute (its text) or a data-section attribute (shown or hidden).
 *
 * All the logic lives in overlay-state.js; this file only touches the DOM and the network.
 * `globalThis.wardcastOverlay` exposes {config, state, client, render, onRender, stop} for
 * tests and for your own additions.
 */
(function (root) {
  "use strict";

  var DEFAULT_BROKER = "http://127.0.0.1:7314";
  var RETRY_MS = 3000;
  var OverlayState = root.OverlayState;
  var doc = root.document;

  /**
   * The broker's addresses from a query string ("?broker=...&token=..."). `broker` may be
   * http(s)://host:port, ws(s)://host:port or a bare host:port; any path is ignored.
   */
  function config(search) {
    var q = new URLSearchParams(search || "");
    var raw = (q.get("broker") || DEFAULT_BROKER).trim();
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) raw = "http://" + raw;
    var m = /^(https?|wss?):\/\/([^/?#]+)/i.exec(raw);
    if (!m) m = /^(https?):\/\/([^/?#]+)/i.exec(DEFAULT_BROKER);
    var secure = /^(https|wss)$/i.test(m[1]);
    var host = m[2];
    var token = q.get("token") || "";
    return {
      broker: (secure ? "https://" : "http://") + host,
      scriptUrl: (secure ? "https://" : "http://") + host + "/wardcast.js",
      // ?client= names the connection in the broker's logs; the client adds &token=.
      wsUrl: (secure ? "wss://" : "ws://") + host + "/ws?client=obs-overlay",
      token: token,
    };
  }

  var cfg = config(root.location && root.location.search);
  var state = OverlayState.create();
  var client = null;
  var retryTimer = null;
  var stopped = false;
  var renderListeners = [];

  function all(selector) {
    return Array.prototype.slice.call(doc.querySelectorAll(selector));
  }

  function render() {
    var v = OverlayState.view(state);
    all("[data-field]").forEach(function (el) {
      var name = el.getAttribute("data-field");
      if (Object.prototype.hasOwnProperty.call(v, name) && typeof v[name] === "string" && el.textContent !== v[name]) {
        el.textContent = v[name];
      }
    });
    all("[data-section]").forEach(function (el) {
      var show = !!v.sections[el.getAttribute("data-section")];
      if (el.hidden === show) el.hidden = !show;
    });
    // Hooks for overlay.css: colour the buyback and the day/night by state.
    var box = doc.getElementById("wardcast-overlay");
    if (box) {
      box.setAttribute("data-connection", state.connection);
      box.setAttribute("data-buyback", v.buyback_cooldown === "ready" ? "ready" : v.buyback_cooldown === OverlayState.NONE ? "unknown" : "cooldown");
      box.setAttribute("data-daytime", v.daytime === OverlayState.NONE ? "unknown" : v.daytime === "Day" ? "day" : "night");
    }
    renderListeners.slice().forEach(function (fn) {
      try {
        fn(v, state);
      } catch (err) {
        setTimeout(function () {
          throw err;
        }, 0);
      }
    });
  }

  function start() {
    if (stopped || client) return;
    var options = { url: cfg.wsUrl, features: OverlayState.FEATURES };
    if (cfg.token) options.token = cfg.token;
    client = new root.Wardcast.Client(options);
    client.on("state", function (s) {
      OverlayState.setConnection(state, s);
      render();
    });
    client.on("event", function (e) {
      OverlayState.applyEvent(state, e.name, e.data);
      render();
    });
    client.on("info", function (info) {
      OverlayState.applyInfo(state, info);
      render();
    });
    OverlayState.setConnection(state, client.state);
    render();
  }

  function load() {
    retryTimer = null;
    if (stopped) return;
    if (root.Wardcast && typeof root.Wardcast.Client === "function") {
      start(); // the page already has the client (a copy next to index.html, for example)
      return;
    }
    OverlayState.setConnection(state, "loading");
    render();
    var s = doc.createElement("script");
    s.src = cfg.scriptUrl;
    s.async = true;
    s.onload = function () {
      if (root.Wardcast && typeof root.Wardcast.Client === "function") start();
      else fail(s);
    };
    s.onerror = function () {
      fail(s);
    };
    (doc.head || doc.documentElement).appendChild(s);
  }

  function fail(s) {
    if (s && s.parentNode) s.parentNode.removeChild(s);
    OverlayState.setConnection(state, "unreachable");
    render();
    if (!stopped) retryTimer = setTimeout(load, RETRY_MS);
  }

  root.wardcastOverlay = {
    config: config,
    get settings() {
      return cfg;
    },
    state: state,
    get client() {
      return client;
    },
    render: render,
    /** fn(view, state) after every render. */
    onRender: function (fn) {
      renderListeners.push(fn);
    },
    offRender: function (fn) {
      renderListeners = renderListeners.filter(function (f) {
        return f !== fn;
      });
    },
    /** Closes the connection and cancels the retry timer. */
    stop: function () {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
      if (client) client.close();
    },
  };

  load();
})(typeof globalThis !== "undefined" ? globalThis : this);
