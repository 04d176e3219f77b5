using System.Text.RegularExpressions;
using AgentFleet.Testing;
using k8s;
using k8s.Models;

namespace AgentFleet.AppHost.Tests;

/// <summary>
/// <c>deploy/k8s/</c> checked as a cluster would take it, without one (there is no kubectl or API server here): every
/// document is a known kind whose fields all exist in the Kubernetes schema (KubernetesClient's typed models, read
/// strictly) and whose required fields are set; and every name one object gives another resolves.
/// </summary>
public sealed partial class KubernetesReferencesTests
{
    private static readonly string Committed = Path.Combine(Repository.Root(), "deploy", "k8s");

    [Fact]
    public async Task EveryDocumentIsAKnownKindWithValidFieldsAndTheKustomizationListsEveryFile()
    {
        var files = Directory.GetFiles(Committed, "*.yaml").Select(Path.GetFileName).Where(f => f != "kustomization.yaml").Order().ToList();
        var kustomization = await File.ReadAllLinesAsync(Path.Combine(Committed, "kustomization.yaml"), TestContext.Current.CancellationToken);
        Assert.Equal(files, kustomization.Select(l => l.Trim()).Where(l => l.StartsWith("- ", StringComparison.Ordinal)).Select(l => l[2..]).Order());
        foreach (var objects in await LoadAsync())
        {
            Assert.All(objects, o =>
            {
                // A kind the models do not know would come back untyped.
                var typed = Assert.IsAssignableFrom<IKubernetesObject<V1ObjectMeta>>(o);
                Assert.False(string.IsNullOrEmpty(typed.Metadata?.Name), $"{typed.Kind} without a name");
                // The models' own checks of required fields.
                o.GetType().GetMethod("Validate")?.Invoke(o, null);
            });
        }
    }

    [Fact]
    public async Task EveryServiceWorkloadSecretAndVariableThatIsNamedExists()
    {
        var objects = (await LoadAsync()).SelectMany(o => o).ToList();
        var pods = objects.OfType<V1Deployment>().Select(d => (d.Metadata.Name, d.Spec.Template))
            .Concat(objects.OfType<V1StatefulSet>().Select(s => (s.Metadata.Name, s.Spec.Template))).ToList();
        var services = objects.OfType<V1Service>().ToList();
        bool Selects(IDictionary<string, string> selector, V1PodTemplateSpec pod) => selector.All(l => pod.Metadata.Labels.TryGetValue(l.Key, out var v) && v == l.Value);

        foreach (var service in services)
        {
            var selected = pods.Where(p => Selects(service.Spec.Selector, p.Template)).ToList();
            Assert.True(selected.Count == 1, $"Service {service.Metadata.Name} selects {selected.Count} workloads");
            var containerPorts = selected[0].Template.Spec.Containers.SelectMany(c => c.Ports ?? []).Select(p => p.ContainerPort).ToList();
            Assert.All(service.Spec.Ports, p => Assert.Contains(int.Parse(p.TargetPort.Value), containerPorts));
        }
        foreach (var set in objects.OfType<V1StatefulSet>())
        {
            // Pods of a StatefulSet of several are reached one by one: its governing Service is headless.
            Assert.Contains(services, s => s.Metadata.Name == set.Spec.ServiceName && (set.Spec.Replicas == 1 || s.Spec.ClusterIP == "None"));
        }
        foreach (var autoscaler in objects.OfType<V2HorizontalPodAutoscaler>())
        {
            Assert.Contains(objects.OfType<V1Deployment>(), d => d.Metadata.Name == autoscaler.Spec.ScaleTargetRef.Name);
        }
        foreach (var budget in objects.OfType<V1PodDisruptionBudget>())
        {
            Assert.Single(pods, p => Selects(budget.Spec.Selector.MatchLabels, p.Template));
        }
        var secrets = objects.OfType<V1Secret>().ToDictionary(s => s.Metadata.Name, s => s.StringData.Keys.ToHashSet());
        var configs = objects.OfType<V1ConfigMap>().ToDictionary(c => c.Metadata.Name, c => (c.Data ?? new Dictionary<string, string>()).Keys.ToHashSet());
        foreach (var (name, template) in pods)
        {
            foreach (var container in template.Spec.Containers)
            {
                var defined = new HashSet<string>();
                foreach (var variable in container.Env ?? [])
                {
                    if (variable.ValueFrom?.SecretKeyRef is { } secret)
                    {
                        Assert.True(secrets.TryGetValue(secret.Name, out var keys) && keys.Contains(secret.Key), $"{name}: {variable.Name} names secret {secret.Name}/{secret.Key}");
                    }
                    if (variable.ValueFrom?.ConfigMapKeyRef is { } config)
                    {
                        Assert.True(configs.TryGetValue(config.Name, out var keys) && keys.Contains(config.Key), $"{name}: {variable.Name} names config {config.Name}/{config.Key}");
                    }
                    // Kubernetes expands $(NAME) only from variables defined before it in the same container.
                    foreach (Match reference in Reference().Matches(variable.Value ?? ""))
                    {
                        Assert.True(defined.Contains(reference.Groups[1].Value), $"{name}: {variable.Name} uses $({reference.Groups[1].Value}) before it is defined");
                    }
                    defined.Add(variable.Name);
                    // Service discovery's addresses name a Service and one of its ports.
                    if (variable.Name.StartsWith("services__", StringComparison.Ordinal) && new Uri(variable.Value ?? "") is var address)
                    {
                        Assert.Contains(services, s => s.Metadata.Name == address.Host && s.Spec.Ports.Any(p => p.Port == address.Port));
                    }
                }
            }
        }
    }

    private static async Task<List<IList<object>>> LoadAsync()
    {
        var documents = new List<IList<object>>();
        foreach (var file in Directory.GetFiles(Committed, "*.yaml").Where(f => !f.EndsWith("kustomization.yaml", StringComparison.Ordinal)))
        {
            // Strict: a field the schema does not have is an error, not silently dropped.
            documents.Add(KubernetesYaml.LoadAllFromString(await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken), strict: true));
        }
        return documents;
    }

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex Reference();
}
