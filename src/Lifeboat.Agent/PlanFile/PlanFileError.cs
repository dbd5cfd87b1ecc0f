namespace Lifeboat.Agent.PlanFile;

/// <summary>One problem in a plan file, at the line and column (1-based) where it is.</summary>
public sealed record PlanFileError(string File, long Line, long Column, string Message)
{
    /// <summary>The conventional compiler form, <c>FILE:LINE:COL: message</c>, that editors jump to.</summary>
    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}

/// <summary>Thrown when a plan file has one or more errors; carries all of them, not just the first.</summary>
public sealed class PlanFileException : Exception
{
    public PlanFileException(IReadOnlyList<PlanFileError> errors)
        : base(string.Join(Environment.NewLine, errors))
    {
        Errors = errors;
    }

    public PlanFileException()
        : this([])
    {
    }

    public PlanFileException(string message)
        : base(message)
    {
        Errors = [];
    }

    public PlanFileException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    /// <summary>Every error found, in file order.</summary>
    public IReadOnlyList<PlanFileError> Errors { get; }
}
