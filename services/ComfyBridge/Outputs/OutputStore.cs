using AgentFleet.ComfyBridge.ComfyUi;
using AgentFleet.ComfyBridge.Model;
using AgentFleet.ComfyBridge.Options;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace AgentFleet.ComfyBridge.Outputs;

/// <summary>
/// The files jobs produced: copied from ComfyUI's <c>/view</c> into the bridge's output folder (so they outlive
/// ComfyUI's own clean-ups and restarts), listed in <c>comfy_outputs</c> with their owner, and deleted after the retention.
/// </summary>
public sealed class OutputStore(NpgsqlDataSource dataSource, IOptions<ComfyOptions> options)
{
    public string Directory { get; } = System.IO.Directory.CreateDirectory(Path.GetFullPath(options.Value.OutputDirectory)).FullName;

    /// <summary>Downloads one file of a finished job and records it; returns its stored name and size.</summary>
    public async Task<(string Name, long Bytes)> CopyAsync(ComfyUiClient comfy, Guid jobId, string? owner, string node, ComfyFile file, CancellationToken cancellationToken)
    {
        var name = OutputNames.ForJob(jobId, file.Subfolder, file.FileName);
        var path = Path.Combine(Directory, name);
        var partial = path + ".partial";
        using (var response = await comfy.ViewAsync(file.FileName, file.Subfolder, file.Type, cancellationToken))
        {
            response.EnsureSuccessStatusCode();
            await using var target = File.Create(partial);
            await response.Content.CopyToAsync(target, cancellationToken);
        }
        File.Move(partial, path, overwrite: true);
        var bytes = new FileInfo(path).Length;
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO comfy_outputs (name, job_id, owner, node, content_type, bytes) VALUES (@name, @job, @owner, @node, @type, @bytes)
            ON CONFLICT (name) DO UPDATE SET bytes = excluded.bytes
            """);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("job", jobId);
        command.Parameters.AddWithValue("owner", NpgsqlDbType.Text, (object?)owner ?? DBNull.Value);
        command.Parameters.AddWithValue("node", node);
        command.Parameters.AddWithValue("type", OutputNames.ContentTypeFor(name));
        command.Parameters.AddWithValue("bytes", bytes);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return (name, bytes);
    }

    /// <summary>Newest first; <paramref name="owner"/> null lists everyone's (an admin).</summary>
    public async Task<OutputPage> ListAsync(string? owner, Guid? jobId, int limit, int offset, CancellationToken cancellationToken)
    {
        const string Where = "WHERE (@owner::text IS NULL OR owner = @owner) AND (@job::uuid IS NULL OR job_id = @job)";
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT name, job_id, node, content_type, bytes, created_at, count(*) OVER () FROM comfy_outputs {Where}
            ORDER BY created_at DESC, name LIMIT @limit OFFSET @offset
            """);
        command.Parameters.AddWithValue("owner", NpgsqlDbType.Text, (object?)owner ?? DBNull.Value);
        command.Parameters.AddWithValue("job", NpgsqlDbType.Uuid, (object?)jobId ?? DBNull.Value);
        command.Parameters.AddWithValue("limit", limit);
        command.Parameters.AddWithValue("offset", offset);
        var items = new List<OutputView>();
        var total = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(Read(reader));
                total = (int)reader.GetInt64(6);
            }
        }
        if (items.Count == 0 && offset > 0)
        {
            await using var count = dataSource.CreateCommand($"SELECT count(*) FROM comfy_outputs {Where}");
            count.Parameters.AddWithValue("owner", NpgsqlDbType.Text, (object?)owner ?? DBNull.Value);
            count.Parameters.AddWithValue("job", NpgsqlDbType.Uuid, (object?)jobId ?? DBNull.Value);
            total = (int)(long)(await count.ExecuteScalarAsync(cancellationToken))!;
        }
        return new OutputPage(items, total, limit, offset);
    }

    public async Task<OutputView?> FindAsync(string name, string? owner, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT name, job_id, node, content_type, bytes, created_at FROM comfy_outputs WHERE name = @name AND (@owner::text IS NULL OR owner = @owner)");
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("owner", NpgsqlDbType.Text, (object?)owner ?? DBNull.Value);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>Deletes outputs recorded before <paramref name="before"/>, rows and files; returns how many went.</summary>
    public async Task<int> DeleteOlderThanAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM comfy_outputs WHERE created_at < @before RETURNING name");
        command.Parameters.AddWithValue("before", before);
        var names = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                names.Add(reader.GetString(0));
            }
        }
        foreach (var name in names.Where(OutputNames.IsValid))
        {
            File.Delete(PathOf(name));
        }
        return names.Count;
    }

    private static OutputView Read(NpgsqlDataReader reader)
    {
        var name = reader.GetString(0);
        return new OutputView(name, reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4), reader.GetFieldValue<DateTimeOffset>(5),
            $"/v1/comfyui/outputs/{Uri.EscapeDataString(name)}");
    }
}
