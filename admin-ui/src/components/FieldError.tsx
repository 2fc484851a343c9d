/** A form field's error from the API, in place beside the field (tests find it by `data-error-for`). */
export function FieldError({ name, errors }: { name: string; errors: Readonly<Record<string, string | undefined>> }) {
  const msg = errors[name];
  return msg ? (
    <span class="error-text" data-error-for={name}>
      {msg}
    </span>
  ) : null;
}
