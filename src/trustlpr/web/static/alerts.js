// Keeps the alert queue current from the alert stream (server-sent events): a new alert or
// possible match is fetched as a rendered card and put at the top; an alert someone else has
// verified leaves the queue. Each change is announced in the page's status line. Without
// script the page still works: reload it to see new alerts.
(function () {
  "use strict";
  var queue = document.getElementById("queue");
  var live = document.getElementById("live");
  var empty = document.getElementById("empty");
  if (!queue || !live || typeof EventSource === "undefined") { return; }

  function say(text) { live.textContent = text; }
  function card(id) { return document.getElementById("card-" + id); }
  function refreshEmpty() { empty.hidden = queue.querySelector("article.alert-card") !== null; }

  function add(event) {
    var alert = JSON.parse(event.data);
    if (alert.status !== "unverified" || card(alert.id)) { return; }
    fetch("/console/alerts/" + encodeURIComponent(alert.id) + "/card",
          { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("card " + response.status); }
        return response.text();
      })
      .then(function (html) {
        if (card(alert.id)) { return; }
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var article = holder.querySelector("article.alert-card");
        if (!article) { return; }
        queue.insertBefore(article, queue.firstChild);
        refreshEmpty();
        say((alert.kind === "alert" ? "New hot-list alert: " : "New possible match: ") +
            alert.read.plate + " at " + alert.read.camera_id + ".");
      })
      .catch(function () { say("A new alert could not be shown; reload the page."); });
  }

  function verified(event) {
    var alert = JSON.parse(event.data);
    var existing = card(alert.id);
    if (!existing) { return; }
    var typing = existing.contains(document.activeElement);
    existing.remove();
    refreshEmpty();
    say(alert.read.plate + " was checked by " + (alert.verified_by || "another officer") + ": " +
        alert.status.replace(/_/g, " ") + "." + (typing ? " Your note was not sent." : ""));
  }

  var stream = new EventSource("/api/v1/alerts/stream");
  stream.addEventListener("alert", add);
  stream.addEventListener("possible", add);
  stream.addEventListener("verified", verified);
  stream.addEventListener("lagged", function () {
    say("Some alerts may be missing from this page; reload it.");
  });
  stream.addEventListener("open", function () { queue.dataset.live = "on"; });
})();
