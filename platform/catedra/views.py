from django.shortcuts import render


def control_plane_home(request):
    return render(request, "catedra/control_plane_home.html")
