// Docker Engine's build, push and pull answer HTTP 200 with a stream of JSON messages, and
// report failures inside that stream as `{error, errorDetail}`; docker-modem's followProgress
// only reports transport errors. Every service that follows such a stream checks it here.

/** One message of a Docker build / push / pull stream. */
export interface DockerStreamMessage {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: { ID?: string; Tag?: string; Digest?: string; Size?: number } | string;
}

/** What followDockerStream needs of dockerode's modem (structural: no dependency on dockerode here). */
export interface DockerModemLike {
  followProgress(stream: NodeJS.ReadableStream, onFinished: (err: Error | null) => void, onProgress: (m: DockerStreamMessage) => void): void;
}

/** Follows the stream, calling onMessage for each message; rejects with the stream's own error. */
export function followDockerStream(
  modem: DockerModemLike,
  stream: NodeJS.ReadableStream,
  onMessage: (m: DockerStreamMessage) => void = () => undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed: Error | undefined;
    modem.followProgress(
      stream,
      (err) => (failed ? reject(failed) : err ? reject(err) : resolve()),
      (m) => {
        if (m.error || m.errorDetail?.message) failed ??= new Error(m.errorDetail?.message || m.error);
        onMessage(m);
      },
    );
  });
}
