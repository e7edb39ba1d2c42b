from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "linli.notify"
    verbose_name = "消息通知"
