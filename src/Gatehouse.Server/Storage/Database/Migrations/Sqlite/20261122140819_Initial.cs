using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Gatehouse.Server.Storage.Database.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "members",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    public_id = table.Column<string>(type: "TEXT", nullable: false),
                    email = table.Column<string>(type: "TEXT", maxLength: 254, nullable: true),
                    normalized_email = table.Column<string>(type: "TEXT", maxLength: 254, nullable: true),
                    nickname = table.Column<string>(type: "TEXT", nullable: false),
                    password_hash = table.Column<string>(type: "TEXT", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_members", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "refresh_sessions",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    member_id = table.Column<string>(type: "TEXT", nullable: false),
                    current_hash = table.Column<byte[]>(type: "BLOB", nullable: false),
                    previous_hash = table.Column<byte[]>(type: "BLOB", nullable: true),
                    nonce = table.Column<byte[]>(type: "BLOB", nullable: true),
                    rotated_at = table.Column<long>(type: "INTEGER", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    last_used_at = table.Column<long>(type: "INTEGER", nullable: false),
                    idle_expires_at = table.Column<long>(type: "INTEGER", nullable: false),
                    absolute_expires_at = table.Column<long>(type: "INTEGER", nullable: false),
                    user_agent = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_refresh_sessions", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "signing_keys",
                columns: table => new
                {
                    kid = table.Column<string>(type: "TEXT", nullable: false),
                    algorithm = table.Column<string>(type: "TEXT", nullable: false),
                    public_jwk = table.Column<string>(type: "TEXT", nullable: false),
                    sealed_private_key = table.Column<byte[]>(type: "BLOB", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    activates_at = table.Column<long>(type: "INTEGER", nullable: false),
                    retires_at = table.Column<long>(type: "INTEGER", nullable: true),
                    expires_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_signing_keys", x => x.kid);
                });

            migrationBuilder.CreateIndex(
                name: "ix_members_normalized_email",
                table: "members",
                column: "normalized_email",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_members_public_id",
                table: "members",
                column: "public_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_refresh_sessions_absolute_expires_at",
                table: "refresh_sessions",
                column: "absolute_expires_at");

            migrationBuilder.CreateIndex(
                name: "ix_refresh_sessions_idle_expires_at",
                table: "refresh_sessions",
                column: "idle_expires_at");

            migrationBuilder.CreateIndex(
                name: "ix_refresh_sessions_member_id",
                table: "refresh_sessions",
                column: "member_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "members");

            migrationBuilder.DropTable(
                name: "refresh_sessions");

            migrationBuilder.DropTable(
                name: "signing_keys");
        }
    }
}
