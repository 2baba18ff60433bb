/*
 * What CKAN's buttons and boxes did with inline handlers (onclick, onchange,
 * hx-on), which the portal's Content-Security-Policy blocks, described by
 * data-territoire-* attributes (templates/package/snippets/
 * resource_upload_field.html, templates/user/snippets/api_token_*.html).
 * Listeners sit on the document: rows that htmx adds later work too.
 */
(function ($) {
  'use strict';

  function byId(id) {
    return id ? document.getElementById(id) : null;
  }

  // a click: check a radio or box, empty a field, click and focus elements
  $(document).on(
    'click',
    '[data-territoire-check], [data-territoire-reset], ' +
      '[data-territoire-click], [data-territoire-focus]',
    function () {
      var data = this.dataset;
      var check = byId(data.territoireCheck);
      if (check) {
        check.checked = true;
      }
      var reset = byId(data.territoireReset);
      if (reset && reset.type === 'file') {
        // as CKAN does: a file input is replaced by an empty copy
        $(reset).replaceWith($(reset).val('').clone(true));
      } else if (reset) {
        reset.value = '';
      }
      var click = byId(data.territoireClick);
      if (click) {
        click.click();
      }
      var focus = byId(data.territoireFocus);
      if (focus) {
        focus.focus();
      }
    }
  );

  // a box of a group: the button is enabled while one of the group is checked
  $(document).on('change', '[data-territoire-enable-if-checked]', function () {
    var button = byId(this.dataset.territoireEnableIfChecked);
    if (button) {
      button.disabled = !$('input[name="' + this.name + '"]:checked').length;
    }
  });

  // after the form's htmx request, its button is disabled again
  document.addEventListener('htmx:afterRequest', function (event) {
    var form = event.target.closest
      ? event.target.closest('[data-territoire-disable-after-request]')
      : null;
    var button = form ? byId(form.dataset.territoireDisableAfterRequest) : null;
    if (button) {
      button.disabled = true;
    }
  });

  // after htmx swapped content in: bring the element named into view
  document.addEventListener('htmx:afterSettle', function () {
    $('[data-territoire-scroll-to]').each(function () {
      var target = byId(this.dataset.territoireScrollTo);
      this.removeAttribute('data-territoire-scroll-to');
      if (target) {
        target.scrollIntoView(false);
      }
    });
  });
})(jQuery);
