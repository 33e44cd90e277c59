// The body of Overwolf's events sample app, shared by the sample pages (overwolf-sample.html
// for Dota 2, cs2-sample.html for Counter-Strike 2), which set g_gameClassId, g_gameTitle and
// g_interestedInFeatures before loading it. Nothing in it is Wardcast's: it is the sample's
// code, with the game as a variable; what the app receives is also kept in window.received.

// What the app received, for the test.
window.received = {
  runningGameInfo: [],
  gameInfoUpdated: [],
  setRequiredFeatures: [],
  getInfo: [],
  events: [],       // every onNewEvents payload: {events: [{name, data}]}
  infoUpdates: [],  // every onInfoUpdates2 payload: {info, feature}
  errors: []        // every onError payload: {reason}
};

function log(text) {
  console.log(text);
  var el = document.getElementById('log');
  el.textContent = text + '\n' + el.textContent.slice(0, 20000);
}

function onErrorListener(info) {
  window.received.errors.push(info);
  log('Error: ' + JSON.stringify(info));
}

// "static" data changed (a game's totals, names, ids). This is also triggered the first
// time we register for events, with all the current information.
function onInfoUpdates2Listener(info) {
  window.received.infoUpdates.push(info);
  log('Info UPDATE: ' + JSON.stringify(info));
}

// An event triggered.
function onNewEventsListener(info) {
  window.received.events.push(info);
  log('EVENT FIRED: ' + JSON.stringify(info));
}

function registerEvents() {
  // general events errors
  overwolf.games.events.onError.addListener(onErrorListener);
  overwolf.games.events.onInfoUpdates2.addListener(onInfoUpdates2Listener);
  overwolf.games.events.onNewEvents.addListener(onNewEventsListener);
}

function gameLaunched(gameInfoResult) {
  if (!gameInfoResult) {
    return false;
  }
  if (!gameInfoResult.gameInfo) {
    return false;
  }
  if (!gameInfoResult.runningChanged && !gameInfoResult.gameChanged) {
    return false;
  }
  if (!gameInfoResult.gameInfo.isRunning) {
    return false;
  }
  // NOTE: we divide by 10 to get the game class id without its sequence number
  if (Math.floor(gameInfoResult.gameInfo.id / 10) != g_gameClassId) {
    return false;
  }
  log(g_gameTitle + ' Launched');
  return true;
}

function gameRunning(gameInfo) {
  if (!gameInfo) {
    return false;
  }
  if (!gameInfo.isRunning) {
    return false;
  }
  // NOTE: we divide by 10 to get the game class id without its sequence number
  if (Math.floor(gameInfo.id / 10) != g_gameClassId) {
    return false;
  }
  log(g_gameTitle + ' running');
  return true;
}

function setFeatures() {
  overwolf.games.events.setRequiredFeatures(g_interestedInFeatures, function (info) {
    window.received.setRequiredFeatures.push(info);
    if (info.status == 'error') {
      log('Could not set required features: ' + info.reason);
      log('Trying in 2 seconds');
      window.setTimeout(setFeatures, 2000);
      return;
    }
    log('Set required features:');
    log(JSON.stringify(info));
    overwolf.games.events.getInfo(function (result) {
      window.received.getInfo.push(result);
      log('getInfo: ' + JSON.stringify(result));
    });
  });
}

// Listeners first, so nothing is missed.
registerEvents();

// Start here
overwolf.games.onGameInfoUpdated.addListener(function (res) {
  window.received.gameInfoUpdated.push(res);
  if (gameLaunched(res)) {
    registerEvents();
    setTimeout(setFeatures, 1000);
  }
  log('onGameInfoUpdated: ' + JSON.stringify(res));
});

overwolf.games.getRunningGameInfo(function (res) {
  window.received.runningGameInfo.push(res);
  if (gameRunning(res)) {
    registerEvents();
    setTimeout(setFeatures, 1000);
  }
  log('getRunningGameInfo: ' + JSON.stringify(res));
});
