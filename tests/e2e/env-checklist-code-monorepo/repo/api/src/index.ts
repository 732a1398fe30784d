const port = Number(process.env.API_PORT);
// a secret this folder's .env.example forgot
const secret: string = process.env.API_SECRET!;
export { port, secret };
