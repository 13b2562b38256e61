// Copy buttons beside every value an admin pastes into Entra. The page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  if (!navigator.clipboard) { return; }
  document.querySelectorAll("code.copyable").forEach(function (code) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy " + (code.dataset.label || "value"));
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(code.textContent).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 2000);
      });
    });
    code.insertAdjacentElement("afterend", button);
  });
});

// A one-click connection's state page: re-reads itself while Entra's consent is under way and
// swaps in the new state (the region is aria-live). Without this file, "check the status" does it.
document.addEventListener("DOMContentLoaded", function () {
  var region = document.getElementById("one-click-status");
  if (!region || !region.dataset.poll || !window.fetch || !window.DOMParser) { return; }
  var every = parseInt(region.dataset.poll, 10) || 3000;
  function poll() {
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        var fresh = html && new DOMParser().parseFromString(html, "text/html").getElementById("one-click-status");
        if (fresh && fresh.dataset.state !== region.dataset.state) {
          region.innerHTML = fresh.innerHTML;
          region.dataset.state = fresh.dataset.state;
        }
        if (fresh && !fresh.dataset.poll) { return; }  // a final state: nothing more will change here
        setTimeout(poll, every);
      })
      .catch(function () { setTimeout(poll, every); });
  }
  setTimeout(poll, every);
});
