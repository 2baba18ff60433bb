/* The home page's territory box: suggestions from the territory
   autocomplete API in the input's native <datalist> (keyboard and screen
   readers handle it); the form resolves what is typed on the server, so the
   box works without JavaScript too. */
ckan.module('territoire-concerne', function ($) {
  'use strict';
  return {
    initialize: function () {
      this.input = this.el.find('input[data-territoire-autocomplete]');
      this.source = this.input.data('territoire-autocomplete');
      this.list = $('<datalist></datalist>').attr('id', this.input.attr('id') + '-suggestions');
      this.el.append(this.list);
      this.input.attr('list', this.list.attr('id'));
      this.timer = null;
      this.last = '';
      this.input.on('input', this._onInput.bind(this));
    },

    _onInput: function () {
      var q = this.input.val().trim();
      clearTimeout(this.timer);
      if (q.length < 2 || q === this.last) { return; }
      this.timer = setTimeout(this._fetch.bind(this, q), 150);
    },

    _fetch: function (q) {
      var self = this;
      this.last = q;
      $.getJSON(this.source, {q: q, limit: 8}).done(function (data) {
        self.list.empty();
        $.each((data && data.result) || [], function (_i, t) {
          $('<option></option>').attr('value', t.label).text(t.level_label).appendTo(self.list);
        });
      });
    }
  };
});
