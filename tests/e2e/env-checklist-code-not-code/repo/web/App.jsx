// Set process.env.IN_A_LINE_COMMENT before you start.
/*
 * process.env.IN_A_BLOCK_COMMENT is read by the server, not here.
 */
const help = "run with process.env.IN_A_STRING=1";
const more = 'or process.env.IN_SINGLE_QUOTES';
const text = `process.env.IN_TEMPLATE_TEXT ${help}`;
const pattern = /process\.env\.IN_A_REGEX/g;
const ratio = total / parts / 2;

export function App() {
  return (
    <main title="process.env.IN_AN_ATTRIBUTE">
      Don't set process.env.IN_JSX_TEXT here.
      <Api url={import.meta.env.VITE_API_URL} />
    </main>
  );
}
