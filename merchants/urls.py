app_name = "merchant"

urlpatterns = []
