// The teacher's page (docs/serve.md, "Pages"): per lesson the statistics, the submissions and a
// student's feedback; across the course the gradebook in each format, every roster student with
// their history and a button that reissues their sign-in code. Every request carries the teacher's
// token in an Authorization header (kept in the tab's sessionStorage, never a cookie); everything a
// student wrote reaches the page through `textContent`.

extension Pages {
    static let teacher = page("Teacher", """
        <main>
        <h1>Teacher</h1>
        <p class="hint">The token was printed when the server started. It stays in this tab only.</p>
        <label for="token">Token</label><input id="token" type="password" autocomplete="off">
        <label for="lesson">Lesson</label><select id="lesson"></select>
        <p><button id="load" type="button">Show</button> <button id="download" type="button">Download the lesson's gradebook (CSV)</button></p>
        <div id="status" class="error"></div>
        <h2>Course gradebook</h2>
        <p class="hint">Every assignment, a row for every student on the roster, late and missing marked (with a course).</p>
        <p><button id="course-csv" type="button" data-format="csv">Plain CSV</button>
        <button id="course-moodle" type="button" data-format="moodle">Moodle import</button>
        <button id="course-canvas" type="button" data-format="canvas">Canvas import</button></p>
        <pre id="gradebook" hidden></pre>
        <h2>Students</h2>
        <table id="students"></table>
        <pre id="reissued" hidden></pre>
        <h2 id="history-title">History</h2>
        <table id="history"></table>
        <h2>Per exercise</h2>
        <table id="stats"></table>
        <h2>Submissions</h2>
        <table id="submissions"></table>
        <p><button id="more" type="button" hidden>Older submissions</button></p>
        <h2>Feedback</h2>
        <pre id="feedback">Pick a student above.</pre>
        </main>
        """, script: """
        const token = document.getElementById('token'), lesson = document.getElementById('lesson'), status = document.getElementById('status');
        token.value = sessionStorage.getItem('backprop-token') || '';
        function auth() { sessionStorage.setItem('backprop-token', token.value); return { Authorization: 'Bearer ' + token.value }; }
        (async () => {
          const result = await api('GET', '/api/lessons');
          for (const item of result.data.filter(item => item.exercises > 0)) {
            const option = element('option', item.number + ': ' + item.title); option.value = item.number; lesson.appendChild(option);
          }
        })();
        function table(node, header, rows) {
          node.replaceChildren();
          const head = node.insertRow(); for (const text of header) head.appendChild(element('th', text));
          for (const row of rows) { const line = node.insertRow(); for (const cell of row) { const td = line.insertCell(); if (cell instanceof Node) td.appendChild(cell); else td.textContent = cell; } }
        }
        async function show() {
          const base = '/api/teacher/lessons/' + lesson.value;
          const stats = await api('GET', base + '/stats', undefined, auth());
          if (!stats.ok) { status.textContent = errorText(stats.data); return; }
          status.textContent = '';
          table(document.getElementById('stats'), ['exercise', 'answers', 'right', 'students right now', 'commonest wrong answers', 'commonest mistakes'],
            stats.data.exercises.map(row => [row.id, row.answers, row.right, row.studentsRight + ' of ' + stats.data.students,
              row.commonWrongAnswers.map(item => item.answer + ' ×' + item.count).join(', '),
              row.commonMistakes.map(item => item.mistake + ' ×' + item.count).join(', ')]));
          table(document.getElementById('submissions'), ['attempt', 'received', 'student', 'name', 'points', 'rejected'], []);
          await more(base, null);
        }
        // The submissions, newest first, a page at a time: the button asks for the page before the
        // last row shown. `/teacher?page=N` sets the page's size (the server's default is 500).
        let nextPage = null;
        async function more(base, before) {
          const button = document.getElementById('more'), pageSize = new URLSearchParams(location.search).get('page');
          const query = [before === null ? null : 'before=' + before, pageSize ? 'limit=' + encodeURIComponent(pageSize) : null].filter(Boolean);
          const list = await api('GET', base + '/submissions' + (query.length ? '?' + query.join('&') : ''), undefined, auth());
          if (!list.ok) { status.textContent = errorText(list.data); return; }
          const node = document.getElementById('submissions');
          for (const row of list.data.submissions) {
            const who = element('a', row.student === null ? '(none)' : row.student); who.href = '#';
            who.addEventListener('click', async event => {
              event.preventDefault();
              const result = await api('GET', base + '/students/' + encodeURIComponent(row.student), undefined, auth());
              document.getElementById('feedback').textContent = result.ok ? result.data.report + '\\n\\n' + result.data.attempts + ' attempt(s)' : errorText(result.data);
            });
            const line = node.insertRow();
            for (const cell of [row.attempt, row.received, who, row.name === null ? '' : row.name, row.points + '/' + row.maxPoints, row.rejection || '']) {
              const td = line.insertCell(); if (cell instanceof Node) td.appendChild(cell); else td.textContent = cell;
            }
          }
          nextPage = list.data.next === null ? null : () => more(base, list.data.next);
          button.hidden = nextPage === null;
        }
        document.getElementById('more').addEventListener('click', () => { if (nextPage) nextPage(); });
        document.getElementById('load').addEventListener('click', () => { show(); students(); });
        // A gradebook: fetched with the token (an Authorization header, never a cookie), shown, and saved.
        async function download(path, name) {
          const response = await fetch(path, { headers: auth() });
          const text = await response.text();
          if (!response.ok) { status.textContent = errorText(JSON.parse(text)); return null; }
          status.textContent = '';
          const preview = document.getElementById('gradebook'); preview.hidden = false; preview.textContent = text;
          const link = element('a'); link.href = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
          link.download = name; document.body.appendChild(link); link.click(); link.remove();
          return text;
        }
        document.getElementById('download').addEventListener('click', () =>
          download('/api/teacher/lessons/' + lesson.value + '/gradebook.csv', 'lesson-' + lesson.value + '-gradebook.csv'));
        for (const id of ['course-csv', 'course-moodle', 'course-canvas']) {
          const format = document.getElementById(id).dataset.format;
          document.getElementById(id).addEventListener('click', () =>
            download('/api/teacher/gradebook.csv?format=' + format, 'course-gradebook-' + format + '.csv'));
        }
        // RFC 4180 rows, as the gradebooks write them (CRLF, quoted fields, doubled quotes).
        function csvRows(text) {
          const rows = []; let row = [], field = '', quoted = false;
          for (let index = 0; index < text.length; index++) {
            const character = text[index];
            if (quoted) {
              if (character !== '"') field += character;
              else if (text[index + 1] === '"') { field += '"'; index++; } else quoted = false;
            } else if (character === '"') quoted = true;
            else if (character === ',') { row.push(field); field = ''; }
            else if (character === '\\n') { row.push(field.replace(/\\r$/, '')); rows.push(row); row = []; field = ''; }
            else field += character;
          }
          return rows;
        }
        // Every roster student (the course gradebook's rows): their grades, their history, a new code.
        async function students() {
          const node = document.getElementById('students');
          // Only with a course (a roster): /api/me says {"course": null} without one.
          const me = await fetch('/api/me');
          if (me.status === 200 && !(await me.json()).course) { node.replaceChildren(element('caption', 'No course runs: start the server with --course FILE.')); return; }
          const response = await fetch('/api/teacher/gradebook.csv?format=csv', { headers: auth() });
          if (!response.ok) { node.replaceChildren(); return; }
          const [header, ...rows] = csvRows(await response.text());
          const titles = header.slice(2, -1).filter((_, index) => index % 2 === 0);
          table(node, ['student', 'name'].concat(titles, ['total', '', '']), rows.map(row => {
            const history = element('button', 'History'); history.type = 'button'; history.dataset.student = row[0];
            history.addEventListener('click', () => showHistory(row[0]));
            const reissue = element('button', 'Reissue code'); reissue.type = 'button'; reissue.dataset.reissue = row[0];
            reissue.addEventListener('click', () => reissueCode(reissue, row[0]));
            const grades = titles.map((_, index) => row[3 + 2 * index] === 'missing' ? 'missing' : row[2 + 2 * index] + (row[3 + 2 * index] === 'late' ? ' (late)' : ''));
            return [row[0], row[1]].concat(grades, [row[row.length - 1], history, reissue]);
          }));
        }
        async function showHistory(student) {
          const result = await api('GET', '/api/teacher/students/' + encodeURIComponent(student), undefined, auth());
          if (!result.ok) { status.textContent = errorText(result.data); return; }
          document.getElementById('history-title').textContent = 'History of ' + result.data.student + (result.data.name ? ' (' + result.data.name + ')' : '');
          table(document.getElementById('history'), ['attempt', 'lesson', 'received', 'points', 'late', 'counted', 'feedback'],
            result.data.attempts.slice().reverse().map(row => [row.attempt, row.lesson, row.received, row.points + '/' + row.maxPoints,
              row.late ? 'late' : '', row.counted ? '✓' : '', row.feedback]));
        }
        // Two clicks: the first asks, the second replaces the code (the old one and the student's sessions end).
        async function reissueCode(button, student) {
          if (button.dataset.armed !== 'yes') { button.dataset.armed = 'yes'; button.textContent = 'Confirm: new code for ' + student; return; }
          button.dataset.armed = ''; button.textContent = 'Reissue code';
          const result = await api('POST', '/api/teacher/students/' + encodeURIComponent(student) + '/reissue', undefined, auth());
          const shown = document.getElementById('reissued'); shown.hidden = false;
          shown.textContent = result.ok ? 'New sign-in code for ' + result.data.student + ': ' + result.data.code + '\\nLink: ' + result.data.link
            + '\\n(also appended to sign-in.csv; the old code no longer works)' : errorText(result.data);
        }
        """)
}
