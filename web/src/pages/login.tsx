import { useState } from 'react';
import { login, type WhoAmI } from '../api';

/** Sign in with an API token (orzo token create); the server keeps it in an HttpOnly cookie. */
export function LoginPage({ onLogin }: { onLogin: (who: WhoAmI) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" className="login">
      <h1>Orzo</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          login(token.trim()).then(onLogin, (err: Error) => {
            setError(err.message);
            setBusy(false);
          });
        }}
      >
        <label htmlFor="token">API token</label>
        <input id="token" name="token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} required autoFocus />
        <p className="muted small">
          A token from <code>orzo token create</code>. What you can do here is what its scopes allow.
        </p>
        {error && (
          <p role="alert" className="outcome bad">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy || !token.trim()}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
