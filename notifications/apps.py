from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Practices and client lists"

    def ready(self) -> None:
        from notifications import signals  # noqa: F401  (connects the receivers)
        from notifications.delivery import webhooks  # noqa: F401  (connects the receivers)
