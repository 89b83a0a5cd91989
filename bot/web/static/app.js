// Suara workspace: Telegram theme colours and the Mini App's launch data, with no library.
// Telegram opens the Mini App with #tgWebAppData=...&tgWebAppThemeParams=... in the URL.
(function () {
  "use strict";
  var hash = new URLSearchParams(location.hash.slice(1));
  var theme = hash.get("tgWebAppThemeParams");
  if (theme) { try { sessionStorage.setItem("tgTheme", theme); } catch (e) {} }
  try { theme = theme || sessionStorage.getItem("tgTheme"); } catch (e) {}
  if (theme) {
    try {
      var params = JSON.parse(theme), root = document.documentElement;
      Object.keys(params).forEach(function (key) {
        if (/^#[0-9a-fA-F]{3,8}$/.test(params[key])) {
          root.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), params[key]);
        }
      });
      root.classList.add("tg");
    } catch (e) {}
  }
  var launch = document.getElementById("launch");
  var data = hash.get("tgWebAppData");
  if (!launch || !data) { return; }
  document.getElementById("launch-help").hidden = true;
  document.getElementById("launch-wait").hidden = false;
  var body = new URLSearchParams({ init_data: data, csrf: launch.dataset.csrf });
  fetch("/masuk/telegram", { method: "POST", body: body, credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (answer) {
      if (answer.ok) { location.replace(answer.next); return; }
      document.getElementById("launch-wait").hidden = true;
      var error = document.getElementById("launch-error");
      error.textContent = answer.message || "";
      error.hidden = false;
    });
})();
