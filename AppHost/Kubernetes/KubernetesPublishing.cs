namespace AgentFleet.AppHost.Kubernetes;

/// <summary>
/// The <c>kubernetes</c> publisher: Aspire's manifest publisher writes the app model to a temporary file, and
/// <see cref="KubernetesManifests"/> turns it into <c>--output-path</c> (default <c>deploy/k8s</c>; a relative path is
/// taken from the repository's root, wherever the AppHost runs from).
/// </summary>
public sealed class KubernetesPublishing(string aspireManifest, string outputDirectory)
{
    /// <summary>Where the manifests go: <paramref name="repositoryRoot"/> anchors a relative output path.</summary>
    public string OutputDirectory(string repositoryRoot) => Path.GetFullPath(outputDirectory, repositoryRoot);

    /// <summary>Null unless the arguments ask for it; then they are rewritten to publish the Aspire manifest first.</summary>
    public static KubernetesPublishing? Parse(ref string[] args)
    {
        var publisher = Array.IndexOf(args, "--publisher");
        if (publisher < 0 || publisher + 1 >= args.Length || args[publisher + 1] != "kubernetes")
        {
            return null;
        }
        var output = Array.IndexOf(args, "--output-path");
        var directory = output >= 0 && output + 1 < args.Length ? args[output + 1] : Path.Combine("deploy", "k8s");
        var manifest = Path.Combine(Path.GetTempPath(), $"aspire-manifest-{Guid.NewGuid():N}.json");
        var rest = args.Where((_, i) => i != publisher && i != publisher + 1 && (output < 0 || (i != output && i != output + 1)));
        args = [.. rest, "--publisher", "manifest", "--output-path", manifest];
        return new KubernetesPublishing(manifest, directory);
    }

    public async Task<int> WriteAsync(string repositoryRoot)
    {
        try
        {
            var directory = OutputDirectory(repositoryRoot);
            await KubernetesManifests.WriteAsync(aspireManifest, directory);
            Console.WriteLine($"Wrote the Kubernetes manifests to {directory}");
            return 0;
        }
        finally
        {
            File.Delete(aspireManifest);
        }
    }
}
