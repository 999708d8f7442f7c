/* Estatus Carga Certificados: live "N de M" for the batches still being processed.
   Polls the small JSON endpoint of each such batch; when one ends, reloads the page so that its
   "Estatus detalle" and "Descargar" appear.  Without JavaScript the page shows the same figures
   and an "Actualizar" link. */
(function () {
  "use strict";
  var INTERVAL_MS = 2000;
  var boxes = Array.prototype.slice.call(document.querySelectorAll(".avance[data-final='no']"));
  if (!boxes.length || !window.fetch) { return; }

  function poll(box) {
    fetch(box.getAttribute("data-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (data) {
        var bar = box.querySelector("progress");
        var text = box.querySelector(".avance-texto");
        bar.max = data.total > 0 ? data.total : 1;
        bar.value = data.procesados;
        bar.textContent = data.procesados + " de " + data.total;
        text.textContent = data.procesados + " de " + data.total;
        var cell = document.querySelector("[data-estatus-lote='" + data.numeroLote + "'] code");
        if (cell) { cell.textContent = data.estatus; }
        if (data.final) { window.location.reload(); return; }
        window.setTimeout(function () { poll(box); }, INTERVAL_MS);
      })
      .catch(function () { window.setTimeout(function () { poll(box); }, INTERVAL_MS * 3); });
  }
  boxes.forEach(function (box) { window.setTimeout(function () { poll(box); }, INTERVAL_MS); });
})();
