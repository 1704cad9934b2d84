(function () {
  var cards = Array.prototype.slice.call(document.querySelectorAll('#ev-cards .card'));
  var box = document.getElementById('ev-filter');
  if (!box) { return; }
  var info = document.getElementById('ev-info');
  var per = {{ page_size }}, page = 0, shown = cards;
  function render() {
    var pages = Math.max(1, Math.ceil(shown.length / per));
    page = Math.min(Math.max(page, 0), pages - 1);
    cards.forEach(function (c) { c.hidden = true; });
    shown.slice(page * per, (page + 1) * per).forEach(function (c) { c.hidden = false; });
    info.textContent = shown.length + ' records, page ' + (page + 1) + ' of ' + pages;
  }
  box.addEventListener('input', function () {
    var q = box.value.toLowerCase();
    shown = cards.filter(function (c) { return c.getAttribute('data-search').indexOf(q) >= 0; });
    page = 0; render();
  });
  document.getElementById('ev-prev').addEventListener('click', function () { page -= 1; render(); });
  document.getElementById('ev-next').addEventListener('click', function () { page += 1; render(); });
  render();
})();
