/*
 * CKAN's select2 boxes (the dataset form's keywords): select2 4 gives the
 * box of a multiple-value field the combobox role but no name (WCAG 4.1.2).
 * Each is named by the label of the field it replaces, once CKAN's modules
 * (which set select2 up) have run, and again when htmx brings new ones.
 */
(function ($) {
  'use strict';

  /*
   * select2's own texts (the remove button of a chosen value, the name of
   * its search box) are English whatever the page's language: CKAN gives
   * select2 only its messages, and select2 completes them from its English
   * file. Its cache of language files is filled here, before CKAN's modules
   * set select2 up, with English completed by the page's texts (from our
   * catalogue, on .territoire-select2-texts).
   */
  var texts = $('.territoire-select2-texts').first();
  if (texts.length && $.fn.select2 && $.fn.select2.amd) {
    var Translation = $.fn.select2.amd.require('select2/translation');
    var english = $.fn.select2.amd.require('select2/i18n/en');
    var ours = {};
    $.each(['removeItem', 'removeAllItems', 'search'], function (_i, key) {
      var text = texts.attr('data-' + key.replace(/[A-Z]/g, function (c) {
        return '-' + c.toLowerCase();
      }));
      if (text) { ours[key] = function () { return text; }; }
    });
    Translation._cache.en = $.extend({}, english, ours);
  }

  function nameBoxes(root) {
    $(root).find('.select2-selection[role="combobox"]').each(function () {
      var box = $(this);
      if (box.attr('aria-labelledby') || box.attr('aria-label')) { return; }
      var field = box.closest('.select2-container').prev('input, select');
      var id = field.attr('id');
      var label = id ? $('label[for="' + id + '"]') : $();
      if (!label.length) { return; }
      if (!label.attr('id')) { label.attr('id', id + '-label'); }
      box.attr('aria-labelledby', label.attr('id'));
      box.find('.select2-search__field').attr('aria-labelledby', label.attr('id'));
    });
  }

  $(function () {
    // after the module initialisation that follows CKAN's i18n load, and
    // whatever htmx swaps in later: at most once per frame
    var pending = false;
    new MutationObserver(function () {
      if (pending) { return; }
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        nameBoxes(document.body);
      });
    }).observe(document.body, {childList: true, subtree: true});
    nameBoxes(document.body);
  });
})(jQuery);
