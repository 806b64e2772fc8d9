/* Photos shrunk on the phone before they are sent (input[data-shrink-photos]): a 12-megapixel camera photo is
 * 4-5 MB, three of them 14 MB on a weak network; the server keeps at most data-max-side pixels on the long side
 * anyway. Each chosen image larger than that is redrawn at that size as a JPEG and put back into the input;
 * anything the browser cannot decode is sent as it is (the server says what is wrong with it). While it works
 * the form's submit button waits. */
(function () {
  "use strict";
  function shrink(file, maxSide) {
    if (!/^image\//.test(file.type) || !window.createImageBitmap) { return Promise.resolve(file); }
    return createImageBitmap(file).then(function (bitmap) {
      var side = Math.max(bitmap.width, bitmap.height);
      if (side <= maxSide) { bitmap.close(); return file; }
      var scale = maxSide / side;
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob) { resolve(file); return; }
          var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified }));
        }, "image/jpeg", 0.85);
      });
    }).catch(function () { return file; });
  }
  Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-shrink-photos]"), function (input) {
    var maxSide = Number(input.dataset.shrinkPhotos) || 2048;
    var button = input.form && input.form.querySelector("[type=submit]");
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      if (!files.length || !window.DataTransfer) { return; }
      input.dataset.shrinking = "1";
      if (button) { button.disabled = true; }
      Promise.all(files.map(function (f) { return shrink(f, maxSide); })).then(function (shrunk) {
        var transfer = new DataTransfer();
        shrunk.forEach(function (f) { transfer.items.add(f); });
        input.files = transfer.files;
      }).finally(function () {
        input.dataset.shrinking = "";
        input.dataset.shrunk = "1";
        if (button) { button.disabled = false; }
      });
    });
  });
}());
