/// The server's own pages: the playground, the lesson list, the exercise form and the teacher's
/// view. Each is one self-contained HTML file (no network beyond this server, no external script
/// or style). Whatever a student wrote reaches these pages only through `textContent`, never as
/// HTML; the lesson pages and sheets are the library's own (`Stepper`, `ExerciseSet.html`).
enum Pages {
    static func page(_ title: String, _ body: String, script: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title) — Backprop Workbench</title>
        <link rel="icon" href="data:,">
        <style>
        \(style)
        </style>
        </head>
        <body>
        <header><strong>Backprop Workbench</strong>
        <nav><a href="/">Playground</a> <a href="/lessons">Lessons</a> <a href="/teacher">Teacher</a></nav>\(accountBox)</header>
        \(body)
        <script>
        \(common)
        \(accountScript)
        \(script)
        </script>
        </body>
        </html>

        """
    }

    static let style = """
        body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d232a; background: #f6f7f9; }
        header { display: flex; gap: 2em; align-items: baseline; padding: .6em 1.2em; background: #24323f; color: #fff; }
        header a { color: #cfe3ff; margin-right: 1em; text-decoration: none; }
        main { padding: 1em 1.2em; }
        h1 { font-size: 1.3em; margin: .2em 0 .6em; }
        label { display: block; font-weight: 600; margin: .6em 0 .2em; }
        textarea, input[type=text], input:not([type]) { font: 14px/1.4 ui-monospace, monospace; width: 100%; box-sizing: border-box;
            padding: .4em; border: 1px solid #b8c0c8; border-radius: 4px; background: #fff; }
        textarea { height: 7em; resize: vertical; }
        button { font: inherit; padding: .35em .9em; border-radius: 4px; border: 1px solid #3a6ea5; background: #3a6ea5; color: #fff; cursor: pointer; }
        pre { font: 13px/1.4 ui-monospace, monospace; background: #fff; border: 1px solid #dde2e7; padding: .5em; overflow-x: auto; white-space: pre-wrap; }
        .error { color: #b00020; font: 13px/1.4 ui-monospace, monospace; white-space: pre-wrap; min-height: 1.4em; }
        .ok { color: #1b7a3a; } .bad { color: #b00020; }
        .columns { display: grid; grid-template-columns: minmax(20em, 30em) 1fr; gap: 1.5em; }
        iframe { width: 100%; height: 34em; border: 1px solid #dde2e7; background: #fff; border-radius: 4px; }
        table { border-collapse: collapse; background: #fff; margin: .4em 0 1em; }
        td, th { border: 1px solid #dde2e7; padding: .25em .6em; text-align: left; vertical-align: top; }
        fieldset { background: #fff; border: 1px solid #dde2e7; border-radius: 4px; margin: .6em 0; }
        .feedback { margin-top: .3em; font-size: .95em; }
        .hint { color: #5b6670; font-size: .9em; }
        """

    /// Helpers every page shares: JSON requests and text-only rendering.
    static let common = """
        async function api(method, path, body, headers) {
          const options = { method, headers: Object.assign({}, headers || {}) };
          if (body !== undefined) { options.body = JSON.stringify(body); options.headers['Content-Type'] = 'application/json'; }
          const response = await fetch(path, options);
          const type = response.headers.get('Content-Type') || '';
          const data = type.startsWith('application/json') ? await response.json() : await response.text();
          return { ok: response.ok, status: response.status, exit: response.headers.get('Backprop-Exit-Status'), data };
        }
        function element(tag, text, className) {
          const node = document.createElement(tag);
          if (text !== undefined && text !== null) node.textContent = String(text);
          if (className) node.className = className;
          return node;
        }
        function errorText(data) {
          if (!data || typeof data !== 'object') return String(data);
          return data.error.replace(/^program:/, '') + (data.detail ? '\\n' + data.detail : '');
        }
        """

    // MARK: - The playground

    static let playground = page("Playground", """
        <main class="columns">
        <section>
        <h1>Playground</h1>
        <label for="program">Program</label>
        <textarea id="program" spellcheck="false">q = x + y; f = q * z</textarea>
        <label for="at">Inputs</label>
        <input id="at" spellcheck="false" value="x=-2,y=5,z=-4">
        <div id="errors" class="error" role="status" aria-live="polite"></div>
        <div id="value"></div>
        <pre id="gradients" hidden></pre>
        <label for="claim">Check a claim</label>
        <input id="claim" spellcheck="false" value="df/dx = z">
        <p><button id="check" type="button">Check</button> <span class="hint">as <code>backprop check</code> reports it</span></p>
        <pre id="report" hidden></pre>
        </section>
        <section>
        <p class="hint">The graph as <code>backprop trace</code> draws it: values in green, gradients in red. Step with ← and →.</p>
        <iframe id="stepper" title="The graph, step by step"></iframe>
        </section>
        </main>
        """, script: """
        const program = document.getElementById('program'), at = document.getElementById('at');
        const errors = document.getElementById('errors'), value = document.getElementById('value');
        const gradients = document.getElementById('gradients'), stepper = document.getElementById('stepper');
        let generation = 0, timer = null;
        function request() { return { program: program.value, at: at.value.trim() === '' ? null : at.value }; }
        async function update() {
          const mine = ++generation;
          const trace = await api('POST', '/api/trace', request());
          if (mine !== generation) return;
          if (!trace.ok) {
            errors.textContent = errorText(trace.data);
            errors.dataset.line = trace.data.line || ''; errors.dataset.column = trace.data.column || '';
            return;
          }
          errors.textContent = ''; errors.dataset.line = ''; errors.dataset.column = '';
          const output = trace.data.nodes[trace.data.output];
          value.textContent = output.label + ' = ' + JSON.stringify(trace.data.value);
          const lines = Object.keys(trace.data.gradients).map(name => '∂' + output.label + '/∂' + name + ' = ' + JSON.stringify(trace.data.gradients[name]));
          gradients.hidden = lines.length === 0; gradients.textContent = lines.join('\\n');
          let drawing = await api('POST', '/api/diagram', Object.assign(request(), { format: 'html' }));
          if (!drawing.ok) drawing = await api('POST', '/api/diagram', Object.assign(request(), { format: 'svg' }));
          if (mine !== generation) return;
          if (drawing.ok) { stepper.srcdoc = drawing.data; stepper.dataset.drawn = program.value; }
          else errors.textContent = errorText(drawing.data);
        }
        function schedule() { clearTimeout(timer); timer = setTimeout(update, 200); }
        program.addEventListener('input', schedule); at.addEventListener('input', schedule);
        document.addEventListener('keydown', event => {
          if (event.target === program || event.target.tagName === 'INPUT') return;
          const page = stepper.contentDocument;
          const button = page && page.getElementById(event.key === 'ArrowRight' ? 'next' : event.key === 'ArrowLeft' ? 'prev' : '');
          if (button) { button.click(); event.preventDefault(); }
        });
        document.getElementById('check').addEventListener('click', async () => {
          const report = document.getElementById('report');
          const result = await api('POST', '/api/check', Object.assign(request(), { claims: [document.getElementById('claim').value] }));
          report.hidden = false;
          report.className = result.ok && result.data.passed ? 'ok' : 'bad';
          report.textContent = result.ok ? result.data.report : errorText(result.data);
        });
        update();
        """)

    // MARK: - Lessons

    static let lessons = page("Lessons", """
        <main>
        <h1>Lessons</h1>
        <p class="hint">Each lesson replays a worked example of the notes step by step; lessons with exercises have a sheet to answer.</p>
        <table id="lessons"><tr><th>#</th><th>Lesson</th><th>From the notes</th><th>Exercises</th></tr></table>
        </main>
        """, script: """
        (async () => {
          const table = document.getElementById('lessons');
          const result = await api('GET', '/api/lessons');
          for (const lesson of result.data) {
            const row = table.insertRow();
            row.insertCell().textContent = lesson.number;
            const link = element('a', lesson.title); link.href = '/lessons/' + lesson.number;
            row.insertCell().appendChild(link);
            row.insertCell().textContent = lesson.source;
            const cell = row.insertCell();
            if (lesson.exercises > 0) { const answer = element('a', lesson.exercises + ' to answer'); answer.href = '/exercises/' + lesson.number; cell.appendChild(answer); }
          }
        })();
        """)

    // MARK: - Exercises

    static let exercises = page("Exercises", """
        <main>
        <h1 id="title">Exercises</h1>
        <p class="hint">Give your student id once; answer, then press <em>Send</em> for feedback on each exercise. Every attempt is kept.
        <a id="sheet" target="_blank">The sheet, with its drawings</a></p>
        <p id="course" class="hint"></p>
        <p id="variant" class="hint"></p>
        <p id="at"></p>
        <pre id="program"></pre>
        <form id="form">
        <label for="student">Student id</label><input id="student" autocomplete="off" placeholder="s1234567">
        <label for="name">Name (optional)</label><input id="name" autocomplete="off">
        <div id="items"></div>
        <p><button id="send" type="submit">Send</button> <span id="total"></span></p>
        <div id="status" class="error"></div>
        </form>
        <section id="mine" hidden><h2>Your attempts</h2><p id="mine-policy" class="hint"></p><ol id="attempts"></ol></section>
        </main>
        """, script: """
        const lesson = Number(location.pathname.split('/')[2]);
        const student = document.getElementById('student'), name = document.getElementById('name');
        student.value = localStorage.getItem('backprop-student') || ''; name.value = localStorage.getItem('backprop-name') || '';
        document.getElementById('sheet').href = '/exercises/' + lesson + '/sheet';
        let sheet = null, signedIn = null;
        (async () => {
          // With a course the student is who signed in (their /join link); without one answers are practice.
          const me = await fetch('/api/me');
          const course = document.getElementById('course');
          const who = me.status === 200 ? await me.json() : null;
          if (who && who.student) {
            signedIn = who;
            student.value = signedIn.student; student.readOnly = true; name.value = signedIn.name || ''; name.readOnly = true;
            course.textContent = signedIn.course + ': signed in as ' + signedIn.student + '.';
            showAttempts();
          } else if (me.status === 401) {
            course.textContent = 'This course needs you to sign in: type the sign-in code your teacher gave you above (or open its link). Answers need a signed-in student.';
          } else {
            course.textContent = 'Practice: this server runs no course (backprop serve --course), so answers here count for no grade and any id may be given.';
          }
        })();
        (async () => {
          const result = await api('GET', '/api/exercises/' + lesson);
          if (!result.ok) { document.getElementById('status').textContent = errorText(result.data); return; }
          sheet = result.data;
          document.getElementById('title').textContent = 'Lesson ' + sheet.lesson + ': ' + sheet.title;
          // The question: the program and the inputs it is asked at (a signed-in student's own variant).
          document.getElementById('program').textContent = sheet.program;
          document.getElementById('at').textContent = sheet.inputs ? 'The program, at ' + sheet.inputs + ':' : 'The program:';
          if (sheet.variant) document.getElementById('variant').textContent = 'Your own variant: these inputs are yours, and so are the answers.';
          const items = document.getElementById('items');
          for (const exercise of sheet.exercises) {
            const box = element('fieldset'); box.id = 'exercise-' + exercise.id;
            box.appendChild(element('legend', exercise.id + ' (' + exercise.points + ' point' + (exercise.points === 1 ? '' : 's') + ')'));
            box.appendChild(element('p', exercise.prompt));
            if (exercise.kind === 'choice') {
              exercise.choices.forEach((text, index) => {
                const letter = String.fromCharCode(97 + index);
                const label = element('label'); label.style.fontWeight = 'normal';
                const radio = element('input'); radio.type = 'radio'; radio.name = exercise.id; radio.value = letter;
                label.appendChild(radio); label.appendChild(document.createTextNode(' (' + letter + ') ' + text));
                box.appendChild(label);
              });
            } else if (exercise.kind === 'graph') {
              // The graph with its blanks: the drawing (an image: no script of it runs) and the table.
              if (exercise.svg) { const image = element('img'); image.alt = 'the graph'; image.style.maxWidth = '100%'; image.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(exercise.svg); box.appendChild(image); }
              if (exercise.table && exercise.table.length > 0) {
                const table = element('table');
                exercise.table.forEach((row, index) => {
                  const line = element('tr');
                  for (const cell of row) line.appendChild(element(index === 0 ? 'th' : 'td', cell.split('**').join('').split('`').join('')));
                  table.appendChild(line);
                });
                box.appendChild(table);
              }
              for (const key of exercise.blanks) {
                const label = element('label', key); const input = element('input'); input.dataset.blank = key; input.name = exercise.id;
                label.appendChild(input); box.appendChild(label);
              }
            } else {
              const input = element('input'); input.name = exercise.id;
              input.placeholder = { number: 'a number', count: 'a whole number', formula: 'a formula, e.g. z * 2',
                vector: 'a list, e.g. [1, 2]', matrix: 'rows, e.g. [[1, 2], [3, 4]]', shape: 'e.g. [10]' }[exercise.kind] || '';
              box.appendChild(input);
            }
            box.appendChild(element('div', '', 'feedback'));
            items.appendChild(box);
          }
        })();
        // A signed-in student's own attempts, with the engine's figures once the policy reveals them.
        async function showAttempts() {
          if (!signedIn) return;
          const result = await api('GET', '/api/me/attempts?lesson=' + lesson);
          if (!result.ok) return;
          const mine = result.data, list = document.getElementById('attempts');
          document.getElementById('mine').hidden = false;
          document.getElementById('mine-policy').textContent = mine.revealed ? "The engine's figures are shown."
            : mine.reveal === 'never' ? "This assignment never shows the engine's figures."
            : "The engine's figures appear here once answers close" + (mine.closes ? ' (' + mine.closes + ').' : '.');
          list.replaceChildren();
          if (mine.attempts.length === 0) list.appendChild(element('li', 'No attempt yet.'));
          for (const attempt of mine.attempts) {
            const item = element('li', 'Attempt ' + attempt.attempt + ', ' + attempt.received + ': ' + attempt.points + '/' + attempt.maxPoints
              + (attempt.late ? ', late' : '') + (attempt.counted ? ', the one that counts' : ''));
            item.appendChild(element('div', attempt.feedback, 'feedback'));
            list.appendChild(item);
          }
        }
        function read(text, kind) {
          const trimmed = text.trim();
          if (kind === 'formula') return trimmed;
          try { return JSON.parse(trimmed); } catch (error) { return trimmed; }
        }
        document.getElementById('form').addEventListener('submit', async event => {
          event.preventDefault();
          localStorage.setItem('backprop-student', student.value); localStorage.setItem('backprop-name', name.value);
          const answers = {};
          for (const exercise of sheet.exercises) {
            const box = document.getElementById('exercise-' + exercise.id);
            if (exercise.kind === 'choice') {
              const picked = box.querySelector('input:checked'); if (picked) answers[exercise.id] = picked.value;
            } else if (exercise.kind === 'graph') {
              const table = {};
              for (const input of box.querySelectorAll('input')) if (input.value.trim() !== '') table[input.dataset.blank] = read(input.value, 'number');
              if (Object.keys(table).length > 0) answers[exercise.id] = table;
            } else {
              const input = box.querySelector('input'); if (input.value.trim() !== '') answers[exercise.id] = read(input.value, exercise.kind);
            }
          }
          const body = signedIn ? { answers } : { student: student.value, answers };
          if (!signedIn && name.value.trim() !== '') body.name = name.value;
          const result = await api('POST', '/api/exercises/' + lesson + '/answers', body);
          const status = document.getElementById('status');
          if (!result.ok) { status.textContent = errorText(result.data); return; }
          status.textContent = '';
          for (const grade of result.data.grade.exercises) {
            const feedback = document.querySelector('#exercise-' + CSS.escape(grade.id) + ' .feedback');
            const mark = { right: '✓', partial: '◐', missing: '·' }[grade.verdict] || '✗';
            feedback.textContent = mark + ' ' + grade.points + '/' + grade.maxPoints + ' — ' + grade.feedback;
            feedback.className = 'feedback ' + (grade.verdict === 'right' ? 'ok' : 'bad');
            feedback.dataset.verdict = grade.verdict;
          }
          showAttempts();
          document.getElementById('total').textContent = 'total ' + result.data.grade.points + '/' + result.data.grade.maxPoints + ' (attempt ' + result.data.attempt + (result.data.late ? ', late' : '') + ')';
        });
        """)
}
