// The referral page: copy the invitation link, or hand it to the phone's share sheet.
(function () {
  var copy = document.getElementById("copy-link");
  var status = document.getElementById("copy-status");
  if (copy) {
    copy.addEventListener("click", function () {
      var field = document.getElementById(copy.dataset.copy);
      var done = function () { status.textContent = copy.dataset.done; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () {
          field.select(); document.execCommand("copy"); done();
        });
      } else {
        field.select(); document.execCommand("copy"); done();
      }
    });
  }
  var share = document.getElementById("share-button");
  if (share && navigator.share) {
    share.hidden = false;
    share.addEventListener("click", function () {
      navigator.share({ title: share.dataset.title, text: share.dataset.text, url: share.dataset.url })
        .catch(function () {});
    });
  }
})();
