using System.Text.Json;
using AgentFleet.ManagementApi.Model;
using Npgsql;
using NpgsqlTypes;

namespace AgentFleet.ManagementApi.Services;

/// <summary>The <c>templates</c> table. Names are unique regardless of case.</summary>
public sealed class TemplateStore(NpgsqlDataSource dataSource)
{
    private const string Columns =
        "id, name, description, category, prompt, variables_schema::text, agent, model, timeout_seconds, budget_usd, approval_policy, usage_count, created_by, created_at, updated_at";

    public sealed record Fields(string Name, string Description, string Category, string Prompt, string SchemaJson, string Agent,
        string? Model, int? TimeoutSeconds, decimal? BudgetUsd, string? ApprovalPolicy);

    /// <summary>Null when the name is taken.</summary>
    public async Task<TemplateView?> CreateAsync(Fields fields, string createdBy, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            INSERT INTO templates (id, name, description, category, prompt, variables_schema, agent, model, timeout_seconds, budget_usd, approval_policy, created_by)
            VALUES (@id, @name, @description, @category, @prompt, @schema, @agent, @model, @timeout, @budget, @policy, @createdBy)
            ON CONFLICT DO NOTHING
            RETURNING {Columns}
            """);
        command.Parameters.AddWithValue("id", Guid.NewGuid());
        command.Parameters.AddWithValue("createdBy", createdBy);
        Bind(command, fields);
        return (await ReadAsync(command, cancellationToken)).SingleOrDefault();
    }

    /// <summary>Null when there is no such template; throws <see cref="PostgresException"/> (unique violation) when the new name is taken.</summary>
    public async Task<TemplateView?> UpdateAsync(Guid id, Fields fields, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            UPDATE templates SET name = @name, description = @description, category = @category, prompt = @prompt, variables_schema = @schema,
                agent = @agent, model = @model, timeout_seconds = @timeout, budget_usd = @budget, approval_policy = @policy, updated_at = now()
            WHERE id = @id
            RETURNING {Columns}
            """);
        command.Parameters.AddWithValue("id", id);
        Bind(command, fields);
        return (await ReadAsync(command, cancellationToken)).SingleOrDefault();
    }

    public async Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM templates WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<TemplateView?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM templates WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        return (await ReadAsync(command, cancellationToken)).SingleOrDefault();
    }

    public async Task<List<TemplateView>> ListAsync(string? category, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {Columns} FROM templates WHERE (@category::text IS NULL OR category = @category) ORDER BY category, lower(name)");
        command.Parameters.AddWithValue("category", (object?)category ?? DBNull.Value);
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>Counts a session started from the template.</summary>
    public async Task CountUseAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE templates SET usage_count = usage_count + 1 WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void Bind(NpgsqlCommand command, Fields fields)
    {
        command.Parameters.AddWithValue("name", fields.Name);
        command.Parameters.AddWithValue("description", fields.Description);
        command.Parameters.AddWithValue("category", fields.Category);
        command.Parameters.AddWithValue("prompt", fields.Prompt);
        command.Parameters.AddWithValue("schema", NpgsqlDbType.Jsonb, fields.SchemaJson);
        command.Parameters.AddWithValue("agent", fields.Agent);
        command.Parameters.AddWithValue("model", (object?)fields.Model ?? DBNull.Value);
        command.Parameters.AddWithValue("timeout", NpgsqlDbType.Integer, (object?)fields.TimeoutSeconds ?? DBNull.Value);
        command.Parameters.AddWithValue("budget", NpgsqlDbType.Numeric, (object?)fields.BudgetUsd ?? DBNull.Value);
        command.Parameters.AddWithValue("policy", (object?)fields.ApprovalPolicy ?? DBNull.Value);
    }

    private static async Task<List<TemplateView>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var templates = new List<TemplateView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var prompt = reader.GetString(4);
            templates.Add(new TemplateView(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), prompt,
                JsonDocument.Parse(reader.GetString(5)).RootElement.Clone(), TemplatePrompt.Placeholders(prompt), reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetInt32(8),
                reader.IsDBNull(9) ? null : reader.GetDecimal(9), reader.IsDBNull(10) ? null : reader.GetString(10), reader.GetInt32(11),
                reader.GetString(12), reader.GetFieldValue<DateTimeOffset>(13), reader.GetFieldValue<DateTimeOffset>(14)));
        }
        return templates;
    }
}
