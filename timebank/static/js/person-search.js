// Search as you type for a person's name (templates/_person_search.html and
// _person_choice.html): the text box becomes an ARIA 1.2 combobox whose list of names
// comes from the box's JSON source (only people of the reader's own time bank whom the
// form may name: ``data-person-among``). Up and Down move through the names, Enter or a
// click chooses one, Escape closes the list. The person chosen is kept as an id in the
// hidden field; typing again clears it. The text is sent in the body of a POST with the
// page's CSRF token, never in an address. Without this script the box is a plain text
// search that the server answers.
document.querySelectorAll("[data-person-search]").forEach((box, index) => {
  const input = box.querySelector("input[type=text]");
  const hidden = box.querySelector(`input[type=hidden][name="${box.dataset.personId}"]`);
  if (!input || !hidden) return;
  const source = box.dataset.personSearch;
  // Any of the page's CSRF tokens will do (a prefixed form's is named "grant-csrf_token").
  const token =
    (input.form && input.form.querySelector('input[name$="csrf_token"]')) ||
    document.querySelector('input[name$="csrf_token"]');
  const list = document.createElement("ul");
  list.id = `person-search-${index}-list`;
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", input.labels[0] ? input.labels[0].textContent : "");
  list.className = "person-options";
  list.hidden = true;
  const status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  input.after(list, status);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("autocomplete", "off");
  // The server-side matches (a search made without the script) stay as links.
  let options = [];
  let active = -1;
  let timer = null;
  let asked = 0;

  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };
  const highlight = (next) => {
    options.forEach((option, i) => option.setAttribute("aria-selected", String(i === next)));
    active = next;
    if (next >= 0) {
      input.setAttribute("aria-activedescendant", options[next].id);
      options[next].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  };
  const choose = (option) => {
    input.value = option.textContent;
    hidden.value = option.dataset.id;
    close();
    status.textContent = "";
  };
  const show = (matches, more) => {
    list.replaceChildren();
    options = matches.map((match, i) => {
      const option = document.createElement("li");
      option.id = `${list.id}-${i}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dataset.id = String(match.id);
      option.textContent = match.name;
      // mousedown, not click: it comes before the box loses focus.
      option.addEventListener("mousedown", (event) => {
        event.preventDefault();
        choose(option);
      });
      list.append(option);
      return option;
    });
    active = -1;
    list.hidden = options.length === 0;
    input.setAttribute("aria-expanded", String(options.length > 0));
    const count = options.length;
    status.textContent =
      count === 0
        ? box.dataset.none || ""
        : (box.dataset.found || "{count}").replace("{count}", `${count}${more ? "+" : ""}`);
  };
  const search = async () => {
    const text = input.value.trim();
    if (text.length < 2) {
      show([], false);
      return;
    }
    const ask = ++asked;
    try {
      const body = new FormData();
      body.append("q", text);
      body.append("csrf_token", token ? token.value : "");
      if (box.dataset.personAmong) body.append("among", box.dataset.personAmong);
      if (box.dataset.personOrganisation) {
        body.append("organisation", box.dataset.personOrganisation);
      }
      const response = await fetch(source, {
        method: "POST",
        body,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok || ask !== asked) return;
      const answer = await response.json();
      if (ask === asked) show(answer.matches, answer.more);
    } catch {
      // Offline or refused: the box still works as a plain search.
    }
  };

  input.addEventListener("input", () => {
    hidden.value = "";
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" && options.length) {
      event.preventDefault();
      if (list.hidden) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
      highlight((active + 1) % options.length);
    } else if (event.key === "ArrowUp" && options.length) {
      event.preventDefault();
      highlight(active <= 0 ? options.length - 1 : active - 1);
    } else if (event.key === "Enter" && !list.hidden && active >= 0) {
      event.preventDefault();
      choose(options[active]);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", close);
  // A member chosen travels as its id only: the name stays out of the address.
  input.form.addEventListener("submit", () => {
    if (hidden.value && input.form.method.toLowerCase() === "get") input.disabled = true;
  });
  window.addEventListener("pageshow", () => {
    input.disabled = false;
  });
});
