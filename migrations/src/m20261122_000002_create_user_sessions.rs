//! An index of signed-in browser sessions per user, so people can see where they are signed
//! in and end sessions on other devices. The session data itself stays in tower-sessions'
//! table; a row here is keyed by a random handle stored in that session.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UserSessions::Table)
                    .col(ColumnDef::new(UserSessions::Handle).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(UserSessions::UserId).string_len(64).not_null())
                    .col(ColumnDef::new(UserSessions::UserAgent).string_len(512).null())
                    .col(ColumnDef::new(UserSessions::Ip).string_len(64).null())
                    .col(ColumnDef::new(UserSessions::CreatedAt).timestamp_with_time_zone().not_null().default(Expr::current_timestamp()))
                    .col(ColumnDef::new(UserSessions::LastSeen).timestamp_with_time_zone().not_null().default(Expr::current_timestamp()))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_sessions_user")
                            .from(UserSessions::Table, UserSessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx_user_sessions_user").table(UserSessions::Table).col(UserSessions::UserId).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(UserSessions::Table).if_exists().to_owned()).await
    }
}

#[derive(DeriveIden)]
enum UserSessions {
    Table,
    Handle,
    UserId,
    UserAgent,
    Ip,
    CreatedAt,
    LastSeen,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
