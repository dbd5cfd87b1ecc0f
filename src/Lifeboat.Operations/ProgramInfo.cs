namespace Lifeboat.Operations;

/// <summary>The program's name and version, as recorded in snapshots and reports.</summary>
public static class ProgramInfo
{
    public static string Version { get; } =
        typeof(ProgramInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static string Name { get; } = "lifeboat " + Version;
}
