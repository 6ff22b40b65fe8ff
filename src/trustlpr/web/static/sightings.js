// Filters a search's sightings by camera and day, in the page (no request, no log entry).
// Without script every sighting is listed; the filters stay hidden.
(function () {
  "use strict";
  var box = document.getElementById("sighting-filters");
  var list = document.getElementById("sightings");
  if (!box || !list) { return; }
  var camera = document.getElementById("filter-camera");
  var day = document.getElementById("filter-day");
  var count = document.getElementById("filter-count");
  var items = list.querySelectorAll("li.sighting");
  function apply() {
    var shown = 0;
    items.forEach(function (item) {
      var keep = (!camera.value || item.dataset.camera === camera.value) &&
                 (!day.value || item.dataset.day === day.value);
      item.hidden = !keep;
      if (keep) { shown += 1; }
    });
    count.textContent = shown + " of " + items.length + " sightings shown";
  }
  camera.addEventListener("change", apply);
  day.addEventListener("change", apply);
  box.hidden = false;
  apply();
})();
