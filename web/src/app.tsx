import { Suspense, lazy, useEffect, useState } from 'react';
import { logout, whenUnauthorized, whoAmI, type WhoAmI } from './api';
import { LiveProvider, useLive } from './live';
import { Link, match, navigate, usePath } from './router';
import { LoginPage } from './pages/login';
import { ServicesPage } from './pages/services';

// The services list is the first page: in the main bundle. The others load when first visited.
const ServicePage = lazy(() => import('./pages/service').then((m) => ({ default: m.ServicePage })));
const BuildsPage = lazy(() => import('./pages/builds').then((m) => ({ default: m.BuildsPage })));
const HistoryPage = lazy(() => import('./pages/history').then((m) => ({ default: m.HistoryPage })));
const AlertsPage = lazy(() => import('./pages/alerts').then((m) => ({ default: m.AlertsPage })));
const JobsPage = lazy(() => import('./pages/jobs').then((m) => ({ default: m.JobsPage })));

export function App() {
  const [who, setWho] = useState<WhoAmI | null | undefined>(undefined);
  useEffect(() => {
    whenUnauthorized(() => setWho(null));
    whoAmI().then(
      (w) => setWho(w ?? null),
      () => setWho(null),
    );
  }, []);
  // The same skeleton as index.html while the session is checked: nothing flashes blank.
  if (who === undefined)
    return (
      <>
        <header className="top">
          <span className="brand">Orzo</span>
        </header>
        <main>
          <p className="muted">Loading…</p>
        </main>
      </>
    );
  if (who === null) return <LoginPage onLogin={setWho} />;
  return (
    <LiveProvider>
      <Shell
        who={who}
        onLogout={() => {
          void logout().finally(() => {
            setWho(null);
            navigate('/');
          });
        }}
      />
    </LiveProvider>
  );
}

const PAGES: Array<[string, string]> = [
  ['/', 'Services'],
  ['/alerts', 'Alerts'],
  ['/builds', 'Builds'],
  ['/jobs', 'Jobs'],
  ['/history', 'History'],
];

function Shell({ who, onLogout }: { who: WhoAmI; onLogout: () => void }) {
  const path = usePath();
  const { connection } = useLive();
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Orzo</span>
        <nav aria-label="Main">
          <ul>
            {PAGES.map(([to, label]) => (
              <li key={to}>
                <Link to={to}>{label}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span className={`conn ${connection}`} role="status" title="the live event stream">
            {connection === 'live' ? 'live' : connection === 'lost' ? 'connection lost, reconnecting…' : 'connecting…'}
          </span>
          <span className="who-name" title={`${who.name ?? ''}: ${(who.scopes ?? []).join(', ')}`}>
            {who.name}
          </span>
          <button type="button" onClick={onLogout}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<p className="muted">Loading…</p>}>
          <Route path={path} who={who} />
        </Suspense>
      </main>
    </>
  );
}

function Route({ path, who }: { path: string; who: WhoAmI }) {
  const svc = match('/services/:name', path);
  if (svc) return <ServicePage key={svc.name} service={svc.name!} who={who} />;
  if (match('/', path)) return <ServicesPage />;
  if (match('/alerts', path)) return <AlertsPage />;
  if (match('/builds', path)) return <BuildsPage />;
  if (match('/jobs', path)) return <JobsPage who={who} />;
  if (match('/history', path)) return <HistoryPage />;
  return (
    <>
      <h1>Not found</h1>
      <p>
        Nothing at {path}. <Link to="/">Services</Link>
      </p>
    </>
  );
}
