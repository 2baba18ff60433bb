/* Territory picker: searches the territory autocomplete API and adds the
   chosen codes to the coverage field (a plain comma-separated text input,
   which stays usable without JavaScript). With data-module-single="true"
   the field holds one code, replaced by each pick ("Rejoindre la plateforme").

   The search box follows the ARIA combobox pattern (WAI-ARIA APG, "list
   autocomplete"): the suggestions are a listbox it controls; the arrow keys
   move the active option (aria-activedescendant) while the focus stays in
   the box; Enter picks it (the first one when none is active); Escape
   closes the list. Each chosen territory has a remove button; the focus
   then goes to the next one, or back to the box. A status line tells
   screen readers how many suggestions came, what was added or removed. */
ckan.module('territoire-territories', function ($) {
  'use strict';
  return {
    options: {
      source: null,
      input: null,
      removeLabel: 'Retirer',
      emptyLabel: 'Aucun résultat',
      countOne: '{n} suggestion',
      countMany: '{n} suggestions',
      addedLabel: '{label} : ajouté',
      removedLabel: '{label} : retiré',
      single: false
    },

    initialize: function () {
      this.codes = $('#' + this.options.input);
      this.search = this.el.find('.territoire-search');
      this.list = this.el.find('.territoire-suggestions');
      this.chosen = this.el.find('.territoire-chosen');
      this.status = this.el.find('.territoire-status');
      if (!this.status.length) {
        // pages that copy the picker's markup without the status line
        this.status = $('<p class="form-text territoire-status" role="status"></p>')
          .insertAfter(this.list);
      }
      this.timer = null;
      this.active = -1;
      this.search.prop('hidden', false).attr('aria-autocomplete', 'list');
      this.list.prop('hidden', true);
      this.search.on('input', this._onInput.bind(this));
      this.search.on('keydown', this._onKey.bind(this));
      this.search.on('blur', this._onBlur.bind(this));
      // mousedown would move the focus out of the box before the click
      this.list.on('mousedown', 'li', function (e) { e.preventDefault(); });
      this.list.on('click', 'li[data-code]', this._onClick.bind(this));
      this.chosen.on('click', 'button', this._onRemove.bind(this));
      this.chosen.find('li').each(this._addRemoveButton.bind(this));
    },

    _values: function () {
      return this.codes.val().split(/[,;\s]+/).filter(function (v) { return v; });
    },

    _say: function (text) {
      // a fresh node, so that the same message twice is read twice
      this.status.empty().append(document.createTextNode(text));
    },

    _addRemoveButton: function (_i, li) {
      var item = $(li);
      var name = item.find('.territoire-name').text();
      var button = $('<button type="button" class="btn btn-link btn-sm territoire-remove"></button>')
        .text(this.options.removeLabel);
      $('<span class="visually-hidden"></span>').text(' ' + name).appendTo(button);
      button.appendTo(item);
    },

    _onInput: function () {
      var q = this.search.val().trim();
      clearTimeout(this.timer);
      if (!q) { this._show([]); return; }
      this.timer = setTimeout(this._fetch.bind(this, q), 150);
    },

    _fetch: function (q) {
      var self = this;
      $.getJSON(this.options.source, {q: q, limit: 10}).done(function (data) {
        if (self._current(q)) { self._show(data.result || [], true); }
      }).fail(function () { if (self._current(q)) { self._show([], true); } });
    },

    // an answer for what is still typed, in the box that still has the focus
    _current: function (q) {
      return this.search.val().trim() === q && document.activeElement === this.search[0];
    },

    _show: function (items, announce) {
      var self = this;
      var id = this.list.attr('id');
      this.list.empty();
      this.active = -1;
      this.search.removeAttr('aria-activedescendant');
      items.forEach(function (t, i) {
        $('<li class="list-group-item" role="option" aria-selected="false"></li>')
          .attr('id', id + '-' + i)
          .attr('data-code', t.code).attr('data-label', t.label)
          .text(t.label + ' — ' + t.level_label)
          .appendTo(self.list);
      });
      var open = items.length > 0;
      this.list.prop('hidden', !open);
      this.search.attr('aria-expanded', open ? 'true' : 'false');
      if (announce) {
        if (open) {
          var pattern = items.length > 1 ? this.options.countMany : this.options.countOne;
          this._say(pattern.replace('{n}', items.length));
        } else if (this.search.val().trim()) {
          this._say(this.options.emptyLabel);
        }
      }
    },

    _options: function () {
      return this.list.find('li[data-code]');
    },

    _activate: function (index) {
      var options = this._options();
      if (!options.length) { return; }
      this.active = (index + options.length) % options.length;
      options.attr('aria-selected', 'false').removeClass('active');
      var option = options.eq(this.active).attr('aria-selected', 'true').addClass('active');
      this.search.attr('aria-activedescendant', option.attr('id'));
      option[0].scrollIntoView({block: 'nearest'});
    },

    _onKey: function (e) {
      var open = this._options().length > 0;
      if (e.key === 'ArrowDown' || e.key === 'Down') {
        if (open) { e.preventDefault(); this._activate(this.active + 1); }
      } else if (e.key === 'ArrowUp' || e.key === 'Up') {
        if (open) { e.preventDefault(); this._activate(this.active - 1); }
      } else if (e.key === 'Enter') {
        e.preventDefault();  // never submit the whole form from the search box
        if (open) { this._pick(this._options().eq(Math.max(this.active, 0))); }
      } else if (e.key === 'Escape' || e.key === 'Esc') {
        if (open) { e.preventDefault(); this._show([]); }
      }
    },

    _onBlur: function () {
      // leaving the box closes its list (a click on an option keeps the
      // focus: see mousedown)
      this._show([]);
    },

    _onClick: function (e) {
      this._pick($(e.currentTarget));
    },

    _pick: function (li) {
      var code = li.attr('data-code');
      if (!code) { return; }
      var label = li.attr('data-label');
      var values = this._values();
      if (this.options.single === true || this.options.single === 'true') {
        values = [];
        this.chosen.empty();
      }
      if (values.indexOf(code) === -1) {
        values.push(code);
        this.codes.val(values.join(', '));
        var item = $('<li></li>').attr('data-code', code);
        $('<span class="territoire-name"></span>').text(label).appendTo(item);
        $('<small class="text-muted"></small>').text(' ' + code).appendTo(item);
        this.chosen.append(item);
        this._addRemoveButton(0, item);
      }
      this.search.val('');
      this._show([]);
      this.search.trigger('focus');
      this._say(this.options.addedLabel.replace('{label}', label));
    },

    _onRemove: function (e) {
      var li = $(e.currentTarget).closest('li');
      var code = li.attr('data-code');
      var label = li.find('.territoire-name').text();
      var next = li.next('li').find('button');
      this.codes.val(this._values().filter(function (v) { return v !== code; }).join(', '));
      li.remove();
      (next.length ? next : this.search).trigger('focus');
      this._say(this.options.removedLabel.replace('{label}', label));
    }
  };
});
