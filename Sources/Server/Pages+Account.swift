// Signing in and out from every page of the server (docs/serve.md, "Pages"): with a course and nobody
// signed in, the header holds a sign-in form (the code → POST /api/sign-in, which sets the session
// cookie); signed in, who it is and *Sign out* (POST /api/sign-out). Without a course, nothing.
// The student's id and name reach the page only through `textContent`.

extension Pages {
    static let accountBox = #"<span id="account" style="margin-left: auto"></span>"#

    static let accountScript = """
        (async () => {
          const box = document.getElementById('account');
          const response = await fetch('/api/me');
          if (response.status === 200) {
            const me = await response.json();
            if (!me.student) return;
            box.appendChild(element('span', 'Signed in as ' + me.student + (me.name ? ' (' + me.name + ')' : '') + ' '));
            const out = element('button', 'Sign out'); out.type = 'button'; out.id = 'sign-out';
            out.addEventListener('click', async () => { await fetch('/api/sign-out', { method: 'POST' }); location.reload(); });
            box.appendChild(out);
          } else if (response.status === 401) {
            const form = element('form'); form.id = 'sign-in'; form.style.display = 'inline';
            const input = element('input'); input.id = 'sign-in-code'; input.type = 'password'; input.autocomplete = 'off';
            input.placeholder = 'your sign-in code'; input.setAttribute('aria-label', 'Sign-in code'); input.style.width = '16em';
            const button = element('button', 'Sign in'); button.type = 'submit';
            const problem = element('span', ''); problem.id = 'sign-in-error'; problem.style.color = '#ffb4b4';
            form.append(input, ' ', button, ' ', problem);
            form.addEventListener('submit', async event => {
              event.preventDefault();
              const result = await api('POST', '/api/sign-in', { code: input.value.trim() });
              if (result.ok) location.reload(); else problem.textContent = errorText(result.data);
            });
            box.appendChild(form);
          }
        })();
        """
}
