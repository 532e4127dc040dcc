// Live filter of an index table: rows whose text lacks the typed words are
// hidden; Enter still submits the form to search the whole dataset.
(function () {
  'use strict';
  for (const input of document.querySelectorAll('input[data-filter-target]')) {
    const table = document.getElementById(input.dataset.filterTarget);
    const count = document.getElementById('count');
    if (!table || !table.tBodies.length) continue;
    const initial = count ? count.textContent : '';
    input.addEventListener('input', function () {
      const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      for (const row of table.tBodies[0].rows) {
        const text = row.textContent.toLowerCase();
        const hit = words.every(function (w) { return text.includes(w); });
        row.hidden = !hit;
        if (hit) shown += 1;
      }
      if (count) {
        count.textContent = words.length ? shown + ' shown on this page (press Enter to search everything)' : initial;
      }
    });
  }
})();
