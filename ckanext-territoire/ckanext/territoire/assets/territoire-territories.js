/* Territory picker: searches the territory autocomplete API and adds the
   chosen codes to the coverage field (a plain comma-separated text input,
   which stays usable without JavaScript). With data-module-single="true"
   the field holds one code, replaced by each pick ("Rejoindre la plateforme"). */
ckan.module('territoire-territories', function ($) {
  'use strict';
  return {
    options: {source: null, input: null, removeLabel: 'Retirer', emptyLabel: 'Aucun résultat', single: false},

    initialize: function () {
      this.codes = $('#' + this.options.input);
      this.search = this.el.find('.territoire-search');
      this.list = this.el.find('.territoire-suggestions');
      this.chosen = this.el.find('.territoire-chosen');
      this.timer = null;
      this.search.prop('hidden', false);
      this.search.on('input', this._onInput.bind(this));
      this.search.on('keydown', this._onKey.bind(this));
      this.list.on('click', 'li', this._onPick.bind(this));
      this.chosen.on('click', 'button', this._onRemove.bind(this));
      this.chosen.find('li').each(this._addRemoveButton.bind(this));
    },

    _values: function () {
      return this.codes.val().split(/[,;\s]+/).filter(function (v) { return v; });
    },

    _addRemoveButton: function (_i, li) {
      $('<button type="button" class="btn btn-link btn-sm territoire-remove"></button>')
        .text(this.options.removeLabel).appendTo(li);
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
        if (self.search.val().trim() === q) { self._show(data.result || []); }
      }).fail(function () { self._show([]); });
    },

    _show: function (items) {
      var self = this;
      this.list.empty();
      items.forEach(function (t) {
        $('<li class="list-group-item" role="option" tabindex="-1"></li>')
          .attr('data-code', t.code).attr('data-label', t.label)
          .text(t.label + ' — ' + t.level_label)
          .appendTo(self.list);
      });
      if (!items.length && this.search.val().trim()) {
        $('<li class="list-group-item disabled" aria-disabled="true"></li>')
          .text(this.options.emptyLabel).appendTo(this.list);
      }
      this.search.attr('aria-expanded', items.length ? 'true' : 'false');
    },

    _onKey: function (e) {
      if (e.key === 'Enter') {
        e.preventDefault();  // never submit the whole form from the search box
        var first = this.list.find('li[data-code]').first();
        if (first.length) { first.trigger('click'); }
      } else if (e.key === 'Escape') {
        this._show([]);
      }
    },

    _onPick: function (e) {
      var li = $(e.currentTarget);
      var code = li.attr('data-code');
      if (!code) { return; }
      var values = this._values();
      if (this.options.single === true || this.options.single === 'true') {
        values = [];
        this.chosen.empty();
      }
      if (values.indexOf(code) === -1) {
        values.push(code);
        this.codes.val(values.join(', '));
        var item = $('<li></li>').attr('data-code', code);
        $('<span class="territoire-name"></span>').text(li.attr('data-label')).appendTo(item);
        $('<small class="text-muted"></small>').text(' ' + code).appendTo(item);
        this.chosen.append(item);
        this._addRemoveButton(0, item);
      }
      this.search.val('');
      this._show([]);
      this.search.trigger('focus');
    },

    _onRemove: function (e) {
      var li = $(e.currentTarget).closest('li');
      var code = li.attr('data-code');
      this.codes.val(this._values().filter(function (v) { return v !== code; }).join(', '));
      li.remove();
    }
  };
});
