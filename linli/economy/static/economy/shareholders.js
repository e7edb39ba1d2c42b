// 股东名册：“添加一行”复制空白行模板并更新表单集计数（无脚本时可先保存再添加）。
(function () {
  var button = document.getElementById("add-row");
  var template = document.getElementById("empty-row");
  var total = document.getElementById("id_s-TOTAL_FORMS");
  if (!button || !template || !total) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    document.querySelector("#rows tbody").insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
  });
})();
