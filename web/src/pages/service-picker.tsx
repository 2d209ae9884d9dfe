import { useRpc } from '../data';
import { navigate } from '../router';

/** A select of every service that puts the choice in the URL (?service=). */
export function ServicePicker({ path, service, allowAll }: { path: string; service: string; allowAll?: boolean }) {
  const list = useRpc('ListServices', {});
  const names = (list.data?.services ?? []).map((s) => s.name ?? '');
  return (
    <label className="filter">
      Service{' '}
      <select value={service} onChange={(e) => navigate(e.target.value ? `${path}?service=${encodeURIComponent(e.target.value)}` : path)}>
        <option value="">{allowAll ? 'all services' : 'choose…'}</option>
        {names.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </label>
  );
}
