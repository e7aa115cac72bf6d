// The card for the till's scanner: full screen on request, and the screen kept awake while shown
// (Screen Wake Lock, where the browser has it). Without JavaScript the page works as it is.
(function () {
  "use strict";
  var button = document.getElementById("fullscreen");
  var root = document.documentElement;
  if (button && root.requestFullscreen) {
    button.hidden = false;
    button.addEventListener("click", function () {
      root.requestFullscreen().catch(function () {});
    });
  }
  var lock = null;
  function keepAwake() {
    if (navigator.wakeLock && document.visibilityState === "visible") {
      navigator.wakeLock.request("screen").then(function (sentinel) { lock = sentinel; }).catch(function () {});
    }
  }
  document.addEventListener("visibilitychange", keepAwake);
  keepAwake();
})();
