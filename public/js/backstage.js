// express-backstage: the console's small behaviours. No inline scripts anywhere (CSP).
(function () {
  'use strict';

  // Forms and buttons marked data-confirm ask before doing something that cannot be undone.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute('data-confirm');
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // A submit button shows progress while its plain (non-htmx) form is on its way.
  document.addEventListener('submit', function (event) {
    if (event.defaultPrevented) return;
    var form = event.target;
    if (form.hasAttribute('hx-get') || form.hasAttribute('hx-post')) return;
    var button = form.querySelector('button[type=submit], button:not([type])');
    if (button && form.method.toLowerCase() === 'post') {
      button.setAttribute('aria-busy', 'true');
      button.disabled = true;
      button.insertAdjacentHTML('afterbegin', '<span class="spinner" aria-hidden="true"></span>');
    }
  });

  // "/" focuses the page's search box, as in most consoles.
  document.addEventListener('keydown', function (event) {
    if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
    var tag = (document.activeElement && document.activeElement.tagName) || '';
    if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') return;
    var search = document.querySelector('input[type=search]');
    if (search) {
      event.preventDefault();
      search.focus();
      search.select();
    }
  });
})();
