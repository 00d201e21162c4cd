/** An error the simulated service answers with, in AWS terms (code + HTTP status). */
export class SimAwsError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    /** Extra members of the error body beside the message (e.g. Organizations' `Reason`). */
    readonly details?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = "SimAwsError";
  }
}

/** AWS-style ValidationException text: "N validation error(s) detected: a; b". */
export function validationError(problems: readonly string[]): SimAwsError {
  const n = problems.length;
  const head = `${n} validation error${n === 1 ? "" : "s"} detected: `;
  return new SimAwsError("ValidationException", 400, head + problems.join("; "));
}

/** Raised by the in-process API when an association id does not exist in the scope. */
export class UnknownAssociationError extends Error {
  constructor(
    readonly associationId: string,
    readonly scopeLabel: string,
  ) {
    super(`association ${associationId} does not exist in ${scopeLabel}`);
    this.name = "UnknownAssociationError";
  }
}
