// Earning rules and bonus campaigns: show only the fields of the chosen kind of rule (a base
// rate has points per euro, a multiplier its factor, a fixed bonus its points). Without
// JavaScript every field shows, each with a help text saying which kind it belongs to.
// A file of its own, no inline script (CSP); the form's fields are the admin's own.
(function () {
  "use strict";
  const FIELDS_OF_KIND = {
    base_rate: ["points_per_unit"],
    multiplier: ["multiplier"],
    fixed_bonus: ["bonus_points"],
  };
  const ALL = ["points_per_unit", "multiplier", "bonus_points"];

  function start() {
    const kind = document.getElementById("id_kind");
    if (!kind) {
      return;
    }
    function update() {
      const shown = FIELDS_OF_KIND[kind.value];
      for (const name of ALL) {
        const row = document.querySelector(".form-row.field-" + name);
        if (row) {
          // Nothing chosen yet: show everything rather than hide what may be needed.
          row.hidden = shown !== undefined && !shown.includes(name);
        }
      }
    }
    kind.addEventListener("change", update);
    update();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
