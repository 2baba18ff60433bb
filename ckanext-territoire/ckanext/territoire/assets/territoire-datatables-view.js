/* The globals of CKAN's DataTables view (datatablesview.js), which CKAN sets
 * in an inline script that the portal's Content-Security-Policy blocks: the
 * data dictionary from a JSON data block, the view id from the table's ajax
 * URL. Runs before the view's module is initialised (on DOM ready). */
(function () {
  'use strict';
  var table = document.getElementById('dtprv');
  var data = document.getElementById('territoire-dt-dictionary');
  if (!table || !data) {
    return;
  }
  window.gdataDict = JSON.parse(data.textContent || '[]');
  window.gresviewId = (table.getAttribute('data-ajaxurl') || '').split('/').pop();
  // the button's inline onclick is blocked; DataTables clones the header,
  // so the click is caught on the document
  document.addEventListener('click', function (event) {
    if (event.target.closest && event.target.closest('#refit-button')) {
      window.fitColText();
    }
  });
})();
