const api = import.meta.env.VITE_API_URL;
const sentry = import.meta.env.VITE_SENTRY_DSN;
export const App = () => <a href={api}>{sentry ? "on" : "off"}</a>;
